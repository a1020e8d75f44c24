/**
 * Reads of one row by id that arrive in the same turn of the event loop, answered by one statement. Every detail
 * route starts with such a read, and on PostgreSQL each is a round trip: its socket write and read were most of
 * get_encounter's server CPU (bench/README.md). The ids asked for in one turn go out as one `in` list once the turn's
 * I/O callbacks have run (`setImmediate`, the same point the audit ledger's group commit starts at), so concurrent
 * requests share a round trip. A lone request pays for the wait: about 4 % more server CPU on SQLite at one
 * connection, against 10 % less at sixteen (and 40 % less on PostgreSQL).
 *
 * Nothing is kept across turns: each caller gets the row of the id it asked for, read for it (a copy when several
 * callers asked for the same id, so none sees another's changes), or undefined; when the statement fails, each of
 * its callers gets that failure, as its own read would have failed.
 */
import type { Kysely } from 'kysely';
import { type Compiled, paddedInList } from './compiled.js';
import type { Database } from './schema.js';

/** Most ids per statement: a full turn of a busy server is split into several statements of at most this many. */
export const MAX_COALESCED_IDS = 64;

interface Waiter<Row> {
  resolve(row: Row | undefined): void;
  reject(error: unknown): void;
}

type Batch<Row> = Map<string, Waiter<Row>[]>;

export interface CoalescedLookup<Row> {
  /** The row with this id, read together with the other ids asked for in this turn. */
  find(db: Kysely<Database>, id: string): Promise<Row | undefined>;
}

/** `byIds` binds an `in` list of ids (one parameter per id); `idOf` says which id a row it returns is for. */
export function coalescedLookup<Row extends object>(
  byIds: Compiled<Row>,
  idOf: (row: Row) => string,
): CoalescedLookup<Row> {
  // Per database object: a transaction's reads stay on that transaction.
  const gathering = new WeakMap<Kysely<Database>, Batch<Row>>();

  async function answer(db: Kysely<Database>, ids: string[], batch: Batch<Row>): Promise<void> {
    let rows: Row[];
    try {
      rows = await byIds.rows(db, paddedInList(ids));
    } catch (error) {
      for (const id of ids) for (const waiter of batch.get(id)!) waiter.reject(error);
      return;
    }
    const byId = new Map<string, Row>();
    for (const row of rows) byId.set(idOf(row), row);
    for (const id of ids) {
      const row = byId.get(id);
      const waiters = batch.get(id)!;
      waiters[0]!.resolve(row);
      for (let i = 1; i < waiters.length; i++) waiters[i]!.resolve(row && { ...row });
    }
  }

  function run(db: Kysely<Database>, batch: Batch<Row>): void {
    gathering.delete(db);
    const ids = [...batch.keys()];
    for (let start = 0; start < ids.length; start += MAX_COALESCED_IDS) {
      void answer(db, ids.slice(start, start + MAX_COALESCED_IDS), batch);
    }
  }

  /** The batch this turn gathers on `db`, answered once the turn's I/O callbacks have run. */
  function startBatch(db: Kysely<Database>): Batch<Row> {
    const batch: Batch<Row> = new Map();
    gathering.set(db, batch);
    setImmediate(run, db, batch);
    return batch;
  }

  return {
    find(db, id) {
      const batch = gathering.get(db) ?? startBatch(db);
      return new Promise<Row | undefined>((resolve, reject) => {
        const waiters = batch.get(id);
        if (waiters === undefined) batch.set(id, [{ resolve, reject }]);
        else waiters.push({ resolve, reject });
      });
    },
  };
}
