/** The PostgreSQL store: a bounded pool behind a guard that keeps outages from crashing or wedging the process. */
import { createHash } from 'node:crypto';
import { userInfo } from 'node:os';
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { executeCompiledDirectly } from './compiled.js';
import type { Store, Subscription } from './db.js';
import { DatastoreUnavailableError } from './faults.js';
import { listenWithReconnect } from './listen.js';
import type { Database } from './schema.js';

// PostgreSQL returns BIGINT as a string; every bigint here is an epoch-millisecond or a row id, safe as a number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

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
    // The server cancels a statement after `timeout` (57014); the guard below waits a little longer for that answer
    // (readTimeout), and gives up on a server (or network) that says nothing at all.
    statement_timeout: timeout,
    // A transaction left open by a stuck caller must not hold locks (the change feed's, say) for long.
    idle_in_transaction_session_timeout: Math.max(10_000, timeout * 5),
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

const readTimeout = (timeout: number) => timeout + Math.max(250, Math.round(timeout / 4));

/**
 * Errors after which the connection's protocol state is unknown (a read timeout, a broken socket), or its prepared
 * statements are not what node-postgres believes (isStaleStatement): discard it.
 */
function leavesConnectionUnusable(error: unknown): boolean {
  return !(error instanceof pg.DatabaseError) || /^(08|57P0)/.test(String(error.code)) || isStaleStatement(error);
}

/**
 * What PostgreSQL answers when a connection's prepared statement no longer matches what node-postgres believes it
 * prepared there: it is gone or its name is taken (26000, 42P05: only a pooler in front, handing the connection
 * another session, does that), or a migration changed the type of a row it returns (0A000, "cached plan must not
 * change result type"). The statement itself is fine.
 */
function isStaleStatement(error: unknown): boolean {
  // 0A000 by its code alone: the message is in the server's language.
  return isSwappedSession(error) || (error instanceof pg.DatabaseError && error.code === '0A000');
}

function isSwappedSession(error: unknown): boolean {
  return error instanceof pg.DatabaseError && (error.code === '26000' || error.code === '42P05');
}

/** The name a compiled statement is prepared under: the same on every connection, and across processes. */
export function preparedStatementName(text: string): string {
  return `charthero_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
}

/**
 * Two gaps between node-postgres and Kysely, both fatal in an outage, and the classification of failures by where
 * they happened (src/store/faults.ts):
 * - A client emits 'error' when its socket breaks or its backend is terminated, and pg-pool listens only while the
 *   client is idle: an error while it is checked out, being handed out (a new connection whose backend is ended
 *   at once) or being destroyed would crash the process. Every client gets a listener of its own for its whole
 *   life, which remembers that it failed.
 * - Kysely releases connections without saying whether they broke, and a query that hit the read timeout may still
 *   get its late answer, or nothing ever again. Remember such a failure and have the pool destroy the client
 *   instead of handing it out again.
 * Failing to acquire a connection, the read timeout and a connection that failed become DatastoreUnavailableError;
 * PostgreSQL's own answers keep their SQLSTATE.
 */
function guardPool(pool: pg.Pool, readTimeoutMs: number): PostgresPool {
  const failed = new WeakSet<pg.PoolClient>();
  pool.on('connect', (client) => {
    client.on('error', () => failed.add(client));
  });
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect().catch((error: unknown) => {
        throw new DatastoreUnavailableError('connect', error);
      });
      let broken = false;
      return {
        // biome-ignore lint/suspicious/noExplicitAny: node-postgres' overloaded query signature.
        query: ((...args: any[]) => {
          // biome-ignore lint/suspicious/noExplicitAny: as above.
          const result = (client.query as any)(...args);
          if (!(result instanceof Promise)) return result; // A cursor (streaming), not used by this project.
          let timer: NodeJS.Timeout | undefined;
          const silent = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new DatastoreUnavailableError('timeout')), readTimeoutMs);
          });
          return Promise.race([result, silent]).then(
            (value) => {
              clearTimeout(timer);
              return value;
            },
            (error: unknown) => {
              clearTimeout(timer);
              if (leavesConnectionUnusable(error)) broken = true;
              if (error instanceof pg.DatabaseError || error instanceof DatastoreUnavailableError) throw error;
              // node-postgres fails the queries of a dead connection with a plain Error, after emitting 'error';
              // only that event says the connection died (a plain Error alone could also be a bug).
              throw failed.has(client) ? new DatastoreUnavailableError('connection', error) : error;
            },
          );
        }) as PostgresPoolClient['query'],
        // Kysely passes `true` when it wants the connection discarded (a failed rollback).
        release: (discard?: boolean) => {
          client.release(broken || discard === true || failed.has(client));
        },
      };
    },
    end: () => pool.end(),
  };
}

export function openPostgres(url: string, timeout: number, poolSize: number): Store {
  const settings = postgresSettings(url, timeout);
  const pool = new pg.Pool({ ...settings, max: poolSize, idleTimeoutMillis: 30_000 });
  // An idle client losing its backend must not crash the process; the next query reports the fault.
  pool.on('error', () => {});
  const guarded = guardPool(pool, readTimeout(timeout));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: guarded }) });
  // The same guarded connections Kysely gets, so outages, timeouts and broken connections are handled alike.
  const run = async (query: pg.QueryConfig) => {
    const client = await guarded.connect();
    try {
      // The guarded query passes its arguments to node-postgres, whose config form (a named statement) Kysely omits.
      return (await (client.query as unknown as (config: pg.QueryConfig) => Promise<pg.QueryResult>)(query)).rows;
    } finally {
      client.release();
    }
  };
  // Compiled statements are named prepared statements: each connection parses and plans one once, not on every call
  // (bench/README.md). When a connection's copy no longer fits, that connection is discarded (see
  // leavesConnectionUnusable) and the call runs once more as an unnamed statement, which any connection can run.
  // A pooler that swaps sessions under the connections would do that to every call: after the first sign of one,
  // every statement of this store runs unnamed.
  const names = new Map<string, string>();
  let prepare = true;
  executeCompiledDirectly(db, async (text, parameters) => {
    const values = parameters as unknown[];
    if (!prepare) return run({ text, values });
    let name = names.get(text);
    if (name === undefined) {
      name = preparedStatementName(text);
      names.set(text, name);
    }
    try {
      return await run({ name, text, values });
    } catch (error) {
      if (!isStaleStatement(error)) throw error;
      if (isSwappedSession(error)) prepare = false;
      return await run({ text, values });
    }
  });

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
