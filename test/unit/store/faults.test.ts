/**
 * The datastore-fault classifier over the error objects the drivers really produce: node-postgres' DatabaseError
 * with a SQLSTATE, better-sqlite3's SqliteError with a result code, and the store's own DatastoreUnavailableError.
 * Real PostgreSQL answers are in test/postgres/fault-classes.pg.test.ts.
 */
import { createServer, type Socket } from 'node:net';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/db.js';
import { DatastoreUnavailableError, isDatastoreFault } from '../../../src/store/faults.js';

/** A DatabaseError as pg-protocol builds it from an ErrorResponse. */
function postgresError(code: string, message = 'some message'): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, 'error');
  error.code = code;
  error.severity = 'ERROR';
  return error;
}

describe('isDatastoreFault', () => {
  it.each([
    ['08000', 'connection exception'],
    ['08006', 'connection failure'],
    ['08P01', 'protocol violation'],
    ['53000', 'insufficient resources'],
    ['53100', 'disk full'],
    ['53200', 'out of memory'],
    ['53300', 'too many connections'],
    ['57000', 'operator intervention'],
    ['57014', 'query canceled (statement timeout)'],
    ['57P01', 'admin shutdown (pg_terminate_backend)'],
    ['57P02', 'crash shutdown'],
    ['57P03', 'cannot connect now'],
    ['58000', 'system error'],
    ['58030', 'I/O error'],
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock detected'],
  ])('SQLSTATE %s (%s) is an outage', (code) => {
    expect(isDatastoreFault(postgresError(code))).toBe(true);
  });

  it.each([
    ['42601', 'syntax error'],
    ['42P01', 'undefined table'],
    ['42703', 'undefined column'],
    ['23505', 'unique violation'],
    ['23503', 'foreign key violation'],
    ['22P02', 'invalid text representation'],
    ['22001', 'string data right truncation'],
    ['XX000', 'internal error'],
    ['40002', 'integrity constraint violation (transaction rollback class, not transient)'],
    ['28000', 'invalid authorization, outside a connect'],
    ['55000', 'object not in prerequisite state, outside a connect'],
    ['0800', 'not a SQLSTATE (four characters)'],
    ['080000', 'not a SQLSTATE (six characters)'],
  ])('SQLSTATE %s (%s) is a bug, not an outage', (code) => {
    expect(isDatastoreFault(postgresError(code))).toBe(false);
  });

  it('does not read messages: a bug whose message looks like an outage stays a bug', () => {
    expect(isDatastoreFault(postgresError('42601', 'Connection terminated unexpectedly'))).toBe(false);
    expect(isDatastoreFault(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isDatastoreFault(new Error('Query read timeout'))).toBe(false);
    expect(isDatastoreFault(new Error('timeout exceeded when trying to connect'))).toBe(false);
    expect(isDatastoreFault(new TypeError('Cannot read properties of undefined'))).toBe(false);
  });

  it.each(['connect', 'timeout', 'connection'] as const)('a DatastoreUnavailableError (%s) is an outage', (stage) => {
    const error = new DatastoreUnavailableError(stage, postgresError('28000'));
    expect(isDatastoreFault(error)).toBe(true);
    expect(error.stage).toBe(stage);
    // The cause's code is kept for the log line; its message is not copied.
    expect(error.code).toBe('28000');
    expect(error.message).toBe(`datastore unavailable (${stage})`);
  });

  it.each([
    'SQLITE_BUSY',
    'SQLITE_BUSY_SNAPSHOT',
    'SQLITE_LOCKED',
    'SQLITE_IOERR',
    'SQLITE_IOERR_SHORT_READ',
    'SQLITE_CANTOPEN',
    'SQLITE_FULL',
    'SQLITE_CORRUPT',
    'SQLITE_NOTADB',
    'SQLITE_READONLY',
    'SQLITE_PROTOCOL',
  ])('SQLite %s is an outage', (code) => {
    expect(isDatastoreFault(new SqliteDatabase.SqliteError('database is locked', code))).toBe(true);
  });

  it.each([
    'SQLITE_ERROR',
    'SQLITE_CONSTRAINT_UNIQUE',
    'SQLITE_CONSTRAINT_FOREIGNKEY',
    'SQLITE_MISMATCH',
    'SQLITE_BUSYX',
  ])('SQLite %s is a bug', (code) => {
    expect(isDatastoreFault(new SqliteDatabase.SqliteError('no such table: x', code))).toBe(false);
  });

  it('a real SQLite syntax error and constraint violation are bugs', () => {
    const db = new SqliteDatabase(':memory:');
    try {
      db.exec('create table t (id integer primary key)');
      db.exec('insert into t values (1)');
      const syntax = (() => {
        try {
          db.prepare('selec 1');
        } catch (error) {
          return error;
        }
      })();
      const constraint = (() => {
        try {
          db.exec('insert into t values (1)');
        } catch (error) {
          return error;
        }
      })();
      expect(syntax).toMatchObject({ code: 'SQLITE_ERROR' });
      expect(constraint).toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
      expect(isDatastoreFault(syntax)).toBe(false);
      expect(isDatastoreFault(constraint)).toBe(false);
    } finally {
      db.close();
    }
  });

  it('anything that is not an Error is not an outage', () => {
    expect(isDatastoreFault(undefined)).toBe(false);
    expect(isDatastoreFault({ code: '57P01' })).toBe(false);
    expect(isDatastoreFault('57P01')).toBe(false);
  });
});

describe('the PostgreSQL store, against servers that fail before PostgreSQL answers', () => {
  let silent: ReturnType<typeof createServer>;
  let silentPort: number;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Accepts connections and never says a word: a hung database host.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  async function failure(url: string) {
    const store = openStore(url, { timeoutMs: 200, poolSize: 1 });
    try {
      return await store.db
        .selectFrom('organizations')
        .select('id')
        .execute()
        .then(
          () => undefined,
          (error: unknown) => error,
        );
    } finally {
      await store.close();
    }
  }

  it('a connection refused is a failure to connect', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(`postgres://charthero@127.0.0.1:${port}/charthero`);
    expect(error).toBeInstanceOf(DatastoreUnavailableError);
    expect(error).toMatchObject({ stage: 'connect', code: 'ECONNREFUSED' });
    expect(isDatastoreFault(error)).toBe(true);
  });

  it('a server that never answers the handshake is a failure to connect, within the timeout', async () => {
    const started = performance.now();
    const error = await failure(`postgres://charthero@127.0.0.1:${silentPort}/charthero`);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(DatastoreUnavailableError);
    expect(error).toMatchObject({ stage: 'connect' });
    expect(isDatastoreFault(error)).toBe(true);
  });
});
