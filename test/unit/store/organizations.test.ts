/** hasNoOrganization: what `serve --seed-if-empty` asks before seeding (SQL lives in src/store, issue 15). */
import { describe, expect, it } from 'vitest';
import { hasNoOrganization, insertOrganization } from '../../../src/store/organizations.js';
import { useMigratedStore } from '../../support/database.js';

describe('hasNoOrganization', () => {
  const scratch = useMigratedStore('charthero-orgs-');

  it('is true on a new database and false once one organization exists', async () => {
    expect(await hasNoOrganization(scratch.store.db)).toBe(true);
    await insertOrganization(scratch.store.db, {
      id: 'org_first',
      name: 'First',
      allowlisted: 1,
      api_keys_enabled: 1,
      rate_limit_per_second: 0,
      enabled_routes: '',
      state_version: 1,
      created_at_ms: Date.now(),
    });
    expect(await hasNoOrganization(scratch.store.db)).toBe(false);
  });
});
