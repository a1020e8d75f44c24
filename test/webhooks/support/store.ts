/** An in-process database with organizations and webhook endpoints, for outbox and worker tests. */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Keyring } from '../../../src/access/digest-keyring.js';
import { importNdjsonFile } from '../../../src/import/importer.js';
import type { AudioStorage } from '../../../src/media/storage.js';
import { openStore, type Store } from '../../../src/store/db.js';
import { migrate } from '../../../src/store/migrate.js';
import { insertOrganization } from '../../../src/store/organizations.js';
import { insertWebhookEndpoint } from '../../../src/store/webhooks.js';
import { newEndpointId } from '../../../src/webhooks/ids.js';
import { generateWebhookSecret, sealSecret } from '../../../src/webhooks/secrets.js';
import { type FreshDatabase, freshDatabase } from '../../support/database.js';
import { writeNdjson } from './fixtures.js';

export interface TestStore {
  dir: string;
  store: Store;
  database: FreshDatabase;
  keyring: Keyring;
  addOrganization(id: string, allowlisted?: boolean): Promise<void>;
  addEndpoint(
    organizationId: string,
    url: string,
    status?: 'enabled' | 'disabled',
  ): Promise<{ id: string; secret: string }>;
  /** Imports NDJSON lines as `charthero import` does (one transaction, all or nothing). */
  importRecords(lines: readonly (object | string)[]): Promise<unknown>;
  close(): Promise<void>;
}

/** The import of these tests carries no recordings. */
const NO_AUDIO: AudioStorage = {
  async putFile() {
    throw new Error('no audio in these tests');
  },
  async head() {
    return null;
  },
  async issueUrl() {
    throw new Error('no audio in these tests');
  },
  async close() {},
};

export function memoryKeyring(): Keyring {
  return { entries: [{ version: 1, secret: randomBytes(32), createdAt: '2026-01-01T00:00:00Z' }] };
}

export async function openTestStore(dialect?: 'sqlite' | 'postgres'): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'charthero-webhooks-'));
  const database = await freshDatabase(dir, dialect);
  const store = openStore(database.url);
  await migrate(store);
  const keyring = memoryKeyring();
  let files = 0;
  return {
    dir,
    store,
    database,
    keyring,
    async addOrganization(id, allowlisted = true) {
      await insertOrganization(store.db, {
        id,
        name: id,
        allowlisted: allowlisted ? 1 : 0,
        api_keys_enabled: 1,
        rate_limit_per_second: 0,
        enabled_routes: '',
        state_version: 1,
        created_at_ms: Date.now(),
      });
    },
    async addEndpoint(organizationId, url, status = 'enabled') {
      const id = newEndpointId();
      const secret = generateWebhookSecret();
      await insertWebhookEndpoint(store.db, {
        id,
        organization_id: organizationId,
        url,
        description: '',
        status,
        secret_sealed: sealSecret(keyring, id, secret),
        previous_secret_sealed: null,
        previous_secret_expires_at_ms: null,
        created_at_ms: Date.now(),
        updated_at_ms: Date.now(),
      });
      return { id, secret };
    },
    importRecords(lines) {
      const file = writeNdjson(dir, `import-${++files}.ndjson`, lines);
      return importNdjsonFile(store.db, NO_AUDIO, file);
    },
    async close() {
      await store.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
