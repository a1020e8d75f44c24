/**
 * The column types, column groups and index form that several migrations share. Applied migrations must go on
 * producing the DDL they produced when they ran (deployed databases already hold it): never change what a helper
 * here emits; a new shape gets a new helper.
 */
import { type CreateTableBuilder, type Kysely, sql } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * The type of every id column. Identifiers compare and sort byte by byte on both databases: SQLite's default BINARY
 * collation, and "C" on PostgreSQL (whose database default may be a linguistic collation that ignores case and
 * punctuation at first level). The list's tie-break on id, and every index over an id, then give the same order on
 * both.
 */
export function idType(dialect: Dialect) {
  return dialect === 'postgres' ? sql`text collate "C"` : 'text';
}

export type IdType = ReturnType<typeof idType>;

/** `create table` for a table keyed by a text id of its own (an organization, a patient, an endpoint…). */
export function createTableWithId(db: Kysely<unknown>, name: string, id: IdType) {
  return db.schema.createTable(name).addColumn('id', id, (col) => col.primaryKey());
}

/** `create table` for a table keyed by an id drawn in increasing order, so readers can tail it by id. */
export function createTableWithSerialId(db: Kysely<unknown>, name: string, dialect: Dialect) {
  const table = db.schema.createTable(name);
  return dialect === 'postgres'
    ? table.addColumn('id', 'bigserial', (col) => col.primaryKey())
    : table.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement());
}

/** The organization a row belongs to, which must exist. */
export function ownedByOrganization(id: IdType) {
  return <T extends string, C extends string>(table: CreateTableBuilder<T, C>) =>
    table.addColumn('organization_id', id, (col) => col.notNull().references('organizations.id'));
}

/** When a row was created, in epoch milliseconds. */
export function createdAt<T extends string, C extends string>(table: CreateTableBuilder<T, C>) {
  return table.addColumn('created_at_ms', 'bigint', (col) => col.notNull());
}

/** When a row was created and last changed, in epoch milliseconds. */
export function createdAndUpdated<T extends string, C extends string>(table: CreateTableBuilder<T, C>) {
  return createdAt(table).addColumn('updated_at_ms', 'bigint', (col) => col.notNull());
}

/** A plain (not unique, not partial) index. */
export async function createIndex(db: Kysely<unknown>, name: string, table: string, columns: string[]): Promise<void> {
  await db.schema.createIndex(name).on(table).columns(columns).execute();
}
