/** What a command runs with: the configuration, the database, storage and the keyring, and organization lookups. */
import type { Kysely } from 'kysely';
import { type Keyring, KeyringError } from '../access/digest-keyring.js';
import { ensureKeyringFile, loadKeyring } from '../access/keyring-source.js';
import { type Config, loadConfig } from '../config.js';
import type { AudioStorage } from '../media/storage.js';
import { openStore, type Store } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { findOrganization, type OrganizationRow } from '../store/organizations.js';
import type { Database } from '../store/schema.js';
import { CliError } from './cli-error.js';

/** Operator commands are not latency-bound: give the database more time than a request gets. */
const CLI_DATABASE_TIMEOUT_MS = 30_000;

export function cliConfig(): Config {
  return loadConfig(process.env);
}

export function openCliStore(config: Config): Store {
  return openStore(config.databaseUrl, { timeoutMs: CLI_DATABASE_TIMEOUT_MS, poolSize: 2 });
}

/**
 * Opens the database, brings the schema up to date (idempotent, so no command fails on a fresh database) and
 * always closes it again, so the process can exit on its own.
 */
export async function withDatabase<T>(config: Config, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const store = openCliStore(config);
  try {
    await migrate(store);
    return await work(store.db);
  } finally {
    await store.close();
  }
}

export async function withStorage<T>(config: Config, work: (storage: AudioStorage) => Promise<T>): Promise<T> {
  // Loaded on demand: the S3 client is heavy and most commands never touch storage.
  const { openAudioStorage } = await import('../media/open-storage.js');
  // Storing objects needs no keyring; only issuing URLs does, so it is read lazily.
  const storage = openAudioStorage(config, () => loadKeyring(config));
  try {
    return await work(storage);
  } finally {
    await storage.close();
  }
}

/** The keyring for issuing keys (created first in a default sandbox); a failure names the variable and the file. */
export function cliKeyring(config: Config): Keyring {
  try {
    ensureKeyringFile(config);
    return loadKeyring(config);
  } catch (error) {
    if (!(error instanceof KeyringError)) throw error;
    throw new CliError(
      `CHARTHERO_DIGEST_KEYS_FILE (${config.digestKeysFile}): ${error.message}; create one with charthero keyring create <file>`,
    );
  }
}

export async function requireOrganization(db: Kysely<Database>, id: string): Promise<OrganizationRow> {
  const organization = await findOrganization(db, id);
  if (!organization) throw new CliError(`unknown organization ${JSON.stringify(id)}`);
  return organization;
}
