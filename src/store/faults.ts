/**
 * Which errors mean "the datastore is unavailable" (a 503 `datastore_unavailable`) as opposed to a bug (a 500).
 *
 * Decided by where a failure happened and by codes, never by message text (messages change between driver
 * versions and locales):
 * - Acquiring a connection (src/store/postgres.ts wraps it): every failure is a fault, whatever PostgreSQL answers —
 *   55000 for a database with ALLOW_CONNECTIONS false, 53300 too many clients, 57P03 starting up, 28000/28P01
 *   authentication, 3D000 a missing database, or no answer at all.
 * - Using a connection: the read timeout, and a connection that broke while in use (src/store/postgres.ts wraps
 *   both); otherwise the SQLSTATE class of PostgreSQL's answer.
 * - SQLite: the result codes of a locked, unreadable or full file.
 */

/** Where a PostgreSQL connection failed. */
export type FaultStage = 'connect' | 'timeout' | 'connection';

/** A connection could not be acquired, or broke or went silent while in use. */
export class DatastoreUnavailableError extends Error {
  override name = 'DatastoreUnavailableError';
  readonly stage: FaultStage;
  /** The underlying SQLSTATE or system error code, when there is one (logged; the message never is). */
  readonly code: string | undefined;

  constructor(stage: FaultStage, cause?: unknown) {
    super(`datastore unavailable (${stage})`, { cause });
    this.stage = stage;
    const code = (cause as { code?: unknown } | undefined)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/**
 * SQLSTATE classes that mean the server cannot serve now, whatever the statement: 08 connection exception,
 * 53 insufficient resources (disk full, out of memory, too many connections), 57 operator intervention (57014 a
 * statement timeout or cancel, 57P01 admin shutdown / pg_terminate_backend, 57P02 crash shutdown, 57P03 cannot
 * connect now), 58 system error (I/O). 40001 serialization failure and 40P01 deadlock are transient too.
 * Everything else (42 syntax or undefined object, 23 constraint, 22 data exception, XX internal…) is a bug.
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57|58)[0-9A-Z]{3}$|^40001$|^40P01$/;

/** SQLite result codes (better-sqlite3 `code`, extended codes included) of a file that cannot be used now. */
const UNAVAILABLE_SQLITE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|CORRUPT|NOTADB|READONLY|PROTOCOL)(_|$)/;

/** Whether an error means the datastore is unreachable or too slow (a 503), as opposed to a bug (a 500). */
export function isDatastoreFault(error: unknown): boolean {
  if (error instanceof DatastoreUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SQLITE.test(code);
}
