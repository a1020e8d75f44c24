/** One Kysely query layer over SQLite (the zero-setup default) and PostgreSQL (production). */
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

/** A subscription to database notifications; `close()` stops it for good. */
export interface Subscription {
  close(): Promise<void>;
}

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /**
   * PostgreSQL only: calls `onNotify` for every NOTIFY on `channel`, on a dedicated connection that reconnects by
   * itself (and calls `onNotify` once after each reconnect, since notifications sent meanwhile are lost).
   * Notifications are a wake-up signal only; readers must still read the state from the tables.
   */
  listen?(channel: string, onNotify: () => void): Subscription;
  close(): Promise<void>;
}

export interface StoreOptions {
  /**
   * Milliseconds one statement may run (server-side `statement_timeout`), one connection may take to open, and a
   * request may wait for a pooled connection. The client also gives up on a silent server shortly after.
   */
  timeoutMs?: number;
  /** The most PostgreSQL connections this process opens (plus one for LISTEN). */
  poolSize?: number;
  /**
   * SQLite: how long a statement waits for another process's write lock (default `timeoutMs`). better-sqlite3
   * waits synchronously, blocking the whole event loop, so a server passes a short wait (SERVER_SQLITE_BUSY_MS):
   * its request path only reads (WAL readers never wait on writers) and its background writes retry later.
   */
  busyTimeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 2000;
export const DEFAULT_POOL_SIZE = 10;
/** The longest a server's SQLite statement blocks the event loop waiting for another process's write lock. */
export const SERVER_SQLITE_BUSY_MS = 100;
/** How long opening a SQLite file, and migrating it (src/store/migrate.ts), waits for another process's lock. */
export const SQLITE_STARTUP_WAIT_MS = 30_000;

// PostgreSQL returns BIGINT as a string; every bigint here is an epoch-millisecond or a row id, safe as a number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function openStore(url: string, options: StoreOptions = {}): Store {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length), options);
  return openPostgres(url, options);
}

function openSqlite(path: string, options: StoreOptions): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path);
  // Opening may have to wait for another process's lock (switching a new file to WAL needs one); that happens
  // before anything is served, so it may wait as long as a migration does.
  sqlite.pragma(`busy_timeout = ${SQLITE_STARTUP_WAIT_MS}`);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${options.busyTimeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS}`);
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew, which was a tenth of the server's CPU time per request (bench/README.md).
 * The queries are a small, fixed set of SQL texts, so prepared statements are kept by text; Kysely's SQLite
 * driver runs one query at a time on its connection, so a statement is never in use twice at once.
 */
function withStatementCache(sqlite: SqliteDatabase.Database): SqliteDialectConfig['database'] {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    prepare(text: string) {
      let statement = statements.get(text);
      if (!statement) {
        statement = sqlite.prepare(text);
        // Texts with a varying number of parameters (IN lists, batch inserts) must not grow the cache forever.
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
        statements.set(text, statement);
      }
      return statement;
    },
    close: () => sqlite.close(),
  };
}

/**
 * Every transaction here writes, and several processes share one SQLite file (the server and the CLI, or several
 * servers). A plain (deferred) BEGIN reads first and upgrades to a write lock later; when another process has
 * committed in between, SQLite fails the upgrade at once with SQLITE_BUSY ("database is locked"), without waiting
 * the busy timeout. BEGIN IMMEDIATE takes the write lock first, so a transaction waits its turn instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #settings: SqliteDialectConfig;
  constructor(settings: SqliteDialectConfig) {
    super(settings);
    this.#settings = settings;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#settings);
  }
}

/**
 * Like libpq, fall back to the operating-system user name when neither the URL nor PGUSER/USER names a user
 * (node-postgres only looks at USER, which service managers and CI runners often leave unset).
 */
export function postgresConnectionString(url: string): string {
  if (process.env.PGUSER || process.env.USER) return url;
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.searchParams.has('user') || parsed.host === '') return url;
    parsed.username = encodeURIComponent(userInfo().username);
    return parsed.toString();
  } catch {
    return url;
  }
}

function postgresSettings(url: string, timeout: number): pg.ClientConfig {
  return {
    connectionString: postgresConnectionString(url),
    application_name: 'charthero',
    connectionTimeoutMillis: timeout,
    // The server cancels a statement after `timeout`; the client waits a little longer for that answer, and gives
    // up on a server (or network) that says nothing at all.
    statement_timeout: timeout,
    query_timeout: timeout + Math.max(250, Math.round(timeout / 4)),
    // A transaction left open by a stuck caller must not hold locks (the change feed's, say) for long.
    idle_in_transaction_session_timeout: Math.max(10_000, timeout * 5),
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

/** Errors after which the connection's protocol state is unknown (a read timeout, a broken socket): discard it. */
function leavesConnectionUnusable(error: unknown): boolean {
  return !(error instanceof pg.DatabaseError) || /^(08|57P0)/.test(String(error.code));
}

function openPostgres(url: string, options: StoreOptions): Store {
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const settings = postgresSettings(url, timeout);
  const pool = new pg.Pool({ ...settings, max: options.poolSize ?? DEFAULT_POOL_SIZE, idleTimeoutMillis: 30_000 });
  // An idle client losing its backend must not crash the process; the next query reports the fault.
  pool.on('error', () => {});

  // Two gaps between node-postgres and Kysely, both fatal in an outage:
  // - A checked-out client emits 'error' when its socket breaks (even mid-query, after failing the query), and
  //   pg-pool only listens while the client is idle: with no listener the process would crash. Listen while
  //   checked out too.
  // - Kysely releases connections without saying whether they broke, and node-postgres keeps a client whose query
  //   hit the read timeout (its socket may still deliver that query's late answer, or nothing ever again).
  //   Remember such a failure and have the pool destroy the client instead of handing it out again.
  const guardedPool: PostgresPool = {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let broken = false;
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
      return {
        // biome-ignore lint/suspicious/noExplicitAny: node-postgres' overloaded query signature.
        query: ((...args: any[]) => {
          // biome-ignore lint/suspicious/noExplicitAny: as above.
          const result = (client.query as any)(...args);
          if (!(result instanceof Promise)) return result; // A cursor (streaming), not used by this project.
          return result.catch((error: unknown) => {
            if (leavesConnectionUnusable(error)) broken = true;
            throw error;
          });
        }) as PostgresPoolClient['query'],
        // Kysely passes `true` when it wants the connection discarded (a failed rollback).
        release: (discard?: boolean) => {
          client.off('error', onError);
          client.release(broken || discard === true);
        },
      };
    },
    end: () => pool.end(),
  };
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: guardedPool }) });

  const subscriptions = new Set<Subscription>();
  return {
    db,
    dialect: 'postgres',
    listen(channel, onNotify) {
      const subscription = listenWithReconnect(settings, channel, onNotify, timeout);
      subscriptions.add(subscription);
      return {
        async close() {
          subscriptions.delete(subscription);
          await subscription.close();
        },
      };
    },
    async close() {
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      await db.destroy();
    },
  };
}

function listenWithReconnect(
  settings: pg.ClientConfig,
  channel: string,
  onNotify: () => void,
  timeout: number,
): Subscription {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${JSON.stringify(channel)}`);
  let closed = false;
  let client: pg.Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let connecting: Promise<void> | undefined;
  let attempt = 0;

  const retry = () => {
    if (closed || retryTimer) return;
    // Quick first retries, then at most one attempt per 2 seconds while the database stays away.
    const delay = Math.min(2000, 100 * 2 ** Math.min(attempt, 5));
    attempt += 1;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connecting = connect();
    }, delay);
    retryTimer.unref();
  };

  async function connect(): Promise<void> {
    // A LISTEN connection is idle by design: no statement or read timeout applies to its wait.
    const next = new pg.Client({ ...settings, statement_timeout: timeout, query_timeout: timeout });
    let failed = false;
    const fail = () => {
      if (failed) return;
      failed = true;
      if (client === next) client = undefined;
      void next.end().catch(() => {});
      retry();
    };
    next.on('error', fail);
    next.on('end', fail);
    next.on('notification', (message) => {
      if (message.channel === channel) onNotify();
    });
    try {
      await next.connect();
      await next.query(`listen ${channel}`);
      if (closed) {
        await next.end().catch(() => {});
        return;
      }
      client = next;
      // Anything sent while this listener was away was missed; let the reader catch up once.
      if (attempt > 0) onNotify();
      attempt = 0;
    } catch {
      fail();
    }
  }

  connecting = connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      await connecting;
      const current = client;
      client = undefined;
      if (current) {
        current.removeAllListeners('end');
        current.removeAllListeners('error');
        current.on('error', () => {});
        await current.end().catch(() => {});
      }
    },
  };
}

const SQLITE_FAULTS = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|CORRUPT|NOTADB|READONLY|PROTOCOL)/;
const NETWORK_FAULTS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/** Whether an error means the datastore is unreachable or too slow (a 503), as opposed to a bug (a 500). */
export function isDatastoreFault(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SQLITE_FAULTS.test(code) || NETWORK_FAULTS.has(code)) return true;
    // PostgreSQL: 08 connection exception, 53 insufficient resources, 57 operator intervention (incl. 57014
    // statement timeout), 58 system error; 40001/40P01 serialization failure and deadlock (retryable).
    if (/^(08|53|57|58)[0-9A-Z]{3}$/.test(code) || code === '40001' || code === '40P01') return true;
  }
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connection is closed|Client has encountered a connection error|Cannot use a pool after calling end|The database connection is not open|Postgres connection has been discarded/i.test(
    error.message,
  );
}
