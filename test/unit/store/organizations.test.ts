/** hasNoOrganization: what `serve --seed-if-empty` asks before seeding (SQL lives in src/store, issue 15). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/db.js';
import { migrate } from '../../../src/store/migrate.js';
import { hasNoOrganization, insertOrganization } from '../../../src/store/organizations.js';
import { type FreshDatabase, freshDatabase } from '../../support/database.js';

describe('hasNoOrganization', () => {
  let dir: string;
  let database: FreshDatabase;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'charthero-orgs-'));
    database = await freshDatabase(dir);
    store = openStore(database.url);
    await migrate(store);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is true on a new database and false once one organization exists', async () => {
    expect(await hasNoOrganization(store.db)).toBe(true);
    await insertOrganization(store.db, {
      id: 'org_first',
      name: 'First',
      allowlisted: 1,
      api_keys_enabled: 1,
      rate_limit_per_second: 0,
      enabled_routes: '',
      state_version: 1,
      created_at_ms: Date.now(),
    });
    expect(await hasNoOrganization(store.db)).toBe(false);
  });
});
