/** What every command shares: `--json` output, the error type users see, input parsing and resource setup. */
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { type Keyring, KeyringError } from '../access/digest-keyring.js';
import { ensureKeyringFile, loadKeyring } from '../access/keyring-source.js';
import { type Config, loadConfig } from '../config.js';
import { isValidId } from '../contract/ids.js';
import { ROUTE_IDS, type RouteId, SCOPES, type Scope } from '../contract/routes.js';
import type { AudioStorage } from '../media/storage.js';
import { openStore, type Store } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { findOrganization, type OrganizationRow } from '../store/organizations.js';
import type { Database } from '../store/schema.js';
import { parseTimestamp } from '../time.js';

/** A mistake the operator can fix; main prints its message as the one error line. */
export class CliError extends Error {
  override name = 'CliError';
}

export interface JsonOption {
  json?: boolean;
}

/** Operator commands are not latency-bound: give the database more time than a request gets. */
const CLI_DATABASE_TIMEOUT_MS = 30_000;

/** Adds a command that does the work (as opposed to a group); every one of them accepts `--json`. */
export function leaf(parent: Command, spec: string, description: string): Command {
  return parent.command(spec).description(description).option('--json', 'print exactly one JSON object on stdout');
}

/** With `--json` one JSON object on one line; otherwise human-readable lines. */
export function print(options: JsonOption, json: object, text: string | readonly string[]): void {
  const body = options.json ? JSON.stringify(json) : typeof text === 'string' ? text : text.join('\n');
  if (body !== '') process.stdout.write(`${body}\n`);
}

/** A listing: with `--json` `{ [field]: [row as JSON, …] }`, otherwise one line per row, or `empty` when none. */
export function printList<Row>(
  options: JsonOption,
  field: string,
  rows: readonly Row[],
  json: (row: Row) => object,
  line: (row: Row) => string,
  empty: string,
): void {
  print(options, { [field]: rows.map(json) }, rows.length === 0 ? empty : rows.map(line));
}

/** The line that hands a secret over: it is printed this once and never stored in plain text. */
export function shownOnce(label: string, secret: string): string {
  return `${label} (shown once, store it now): ${secret}`;
}

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

function list(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `all` or a comma-separated list of known scopes, in SCOPES order without repeats. */
export function parseScopes(text: string): Scope[] {
  const items = list(text);
  if (items.length === 1 && items[0] === 'all') return [...SCOPES];
  if (items.length === 0) throw new CliError('--scopes must list at least one scope, or all');
  for (const item of items) {
    if (!(SCOPES as readonly string[]).includes(item)) {
      throw new CliError(`unknown scope ${JSON.stringify(item)} (valid: ${SCOPES.join(', ')}, or all)`);
    }
  }
  return SCOPES.filter((scope) => items.includes(scope));
}

/** `all` or a comma-separated list of route ids, in ROUTE_IDS order without repeats. */
export function parseRouteIds(text: string, option: string): RouteId[] {
  const items = list(text);
  if (items.length === 1 && items[0] === 'all') return [...ROUTE_IDS];
  if (items.length === 0) throw new CliError(`${option} must list at least one route id, or all`);
  for (const item of items) {
    if (!(ROUTE_IDS as readonly string[]).includes(item)) {
      throw new CliError(`unknown route id ${JSON.stringify(item)} (valid: ${ROUTE_IDS.join(', ')}, or all)`);
    }
  }
  return ROUTE_IDS.filter((id) => items.includes(id));
}

/** A canonical decimal integer (no sign, no leading zero) within bounds. */
export function parseInteger(text: string, what: string, min: number, max: number): number {
  if (!/^(0|[1-9][0-9]*)$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new CliError(`${what} must be an integer from ${min} to ${max} (got ${JSON.stringify(text)})`);
  }
  return Number(text);
}

/** Requests per second: 0 means unlimited. */
export function parseRateLimit(text: string, what: string): number {
  return parseInteger(text, what, 0, 1_000_000);
}

export function parseTime(text: string, what: string): number {
  const ms = parseTimestamp(text);
  if (ms === null) {
    throw new CliError(
      `${what} must be an RFC 3339 date-time with offset, such as 2026-12-31T23:59:59Z (got ${JSON.stringify(text)})`,
    );
  }
  return ms;
}

/** Ids created here follow the import rule, so every organization can also be named in an import file. */
export function requireValidId(text: string, what: string): string {
  if (!isValidId(text)) {
    throw new CliError(
      `${what} must be 1 to 128 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-", starting with a letter or digit`,
    );
  }
  return text;
}

export async function requireOrganization(db: Kysely<Database>, id: string): Promise<OrganizationRow> {
  const organization = await findOrganization(db, id);
  if (!organization) throw new CliError(`unknown organization ${JSON.stringify(id)}`);
  return organization;
}

/** An `--org` filter must name an organization: a mistyped id would otherwise list nothing, without a word. */
export async function checkOrganizationFilter(db: Kysely<Database>, id: string | undefined): Promise<void> {
  if (id !== undefined) await requireOrganization(db, id);
}
