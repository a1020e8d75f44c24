/**
 * Queries built and compiled once per database, then run with each call's parameters. Kysely otherwise builds the
 * query tree and compiles it to SQL on every call, which was a tenth of a request's server CPU on the hot routes
 * (bench/README.md). The query is written once, in Kysely, for both dialects: `build` receives placeholder values
 * and must use each exactly once, in the order its parameters are bound (the order they appear in the SQL).
 */
import { type Compilable, CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** A placeholder value; the compiled SQL binds whatever each call passes in its place. */
export const PLACEHOLDER = '?';

/**
 * Runs a compiled statement outside Kysely, for a store whose every call gets a connection of its own and so may
 * skip Kysely's per-query machinery (PostgreSQL's pool): one round trip costs the server several times a
 * SQLite read, and Kysely's connection provider, query ids and result wrapping were a tenth of it
 * (bench/README.md). Not for SQLite: its one connection may be inside a transaction between two awaits, which
 * only Kysely's mutex keeps other statements out of.
 */
export type DirectExecutor = (sql: string, parameters: readonly unknown[]) => Promise<unknown[]>;

const directExecutors = new WeakMap<Kysely<Database>, DirectExecutor>();

/** Compiled queries on `db` itself (not on its transactions, which are other objects) run through `execute`. */
export function executeCompiledDirectly(db: Kysely<Database>, execute: DirectExecutor): void {
  directExecutors.set(db, execute);
}

export interface Compiled<Row> {
  /** The rows of the query with these parameters. */
  rows(db: Kysely<Database>, parameters: readonly unknown[]): Promise<Row[]>;
}

/**
 * `build(db, size)` gives the query for `size` values (an `in` list or a multi-row insert): each size compiles once.
 * Fixed-shape queries ignore `size`.
 */
export function compiledQuery<Row>(
  build: (db: Kysely<Database>, size: number) => Compilable<Row>,
  sizeOf: (parameters: readonly unknown[]) => number = () => 0,
): Compiled<Row> {
  // Per database (a transaction is a database object of its own: it compiles anew, which is still correct).
  const byDatabase = new WeakMap<Kysely<Database>, Map<number, CompiledQuery<Row>>>();
  return {
    async rows(db, parameters) {
      let bySize = byDatabase.get(db);
      if (bySize === undefined) {
        bySize = new Map();
        byDatabase.set(db, bySize);
      }
      const size = sizeOf(parameters);
      let compiled = bySize.get(size);
      if (compiled === undefined) {
        compiled = build(db, size).compile();
        if (compiled.parameters.length !== parameters.length) {
          throw new Error(`compiled query binds ${compiled.parameters.length} values, given ${parameters.length}`);
        }
        bySize.set(size, compiled);
      }
      const direct = directExecutors.get(db);
      if (direct !== undefined) return (await direct(compiled.sql, parameters)) as Row[];
      const result = await db.executeQuery(CompiledQuery.raw(compiled.sql, [...parameters]) as CompiledQuery<Row>);
      return result.rows;
    },
  };
}

/** A query whose parameters are one `in` list: `build` gets its length, and each length compiles once. */
export function inListQuery<Row>(build: (db: Kysely<Database>, count: number) => Compilable<Row>): Compiled<Row> {
  return compiledQuery(build, (parameters) => parameters.length);
}

/** `count` placeholders, for an `in` list of that many values. */
export function placeholders(count: number): string[] {
  return Array.from({ length: count }, () => PLACEHOLDER);
}

/**
 * `values` (at least one) padded to the next power of two by repeating the first: an `in` list means the same with
 * repeats, and list pages then need at most eight compiled statements instead of one per page size.
 */
export function paddedInList<T>(values: readonly T[]): T[] {
  let size = 1;
  while (size < values.length) size *= 2;
  return [...values, ...Array.from({ length: size - values.length }, () => values[0]!)];
}
