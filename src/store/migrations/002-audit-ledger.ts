/**
 * Per-process audit chains (docs/audit.md). Existing rows become the legacy chain, unchanged (`chain_id`
 * 'legacy', `seq` = their id, no key version), and stay verifiable as they were against `audit_chain_head`, which
 * no new writer touches again. A server of the previous version still running during an upgrade keeps appending
 * to the legacy chain (its inserts take the column defaults), which is why the uniqueness of (chain, seq) holds
 * for the new chains only.
 */
import { type Kysely, sql } from 'kysely';
import { createIndex } from './columns.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('audit_events')
    .addColumn('chain_id', 'text', (col) => col.notNull().defaultTo('legacy'))
    .execute();
  await db.schema
    .alterTable('audit_events')
    .addColumn('seq', 'bigint', (col) => col.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('audit_events').addColumn('key_version', 'integer').execute();
  await db.schema
    .alterTable('audit_events')
    .addColumn('count', 'integer', (col) => col.notNull().defaultTo(1))
    .execute();
  await sql`update audit_events set seq = id`.execute(db);
  // Each chain is appended by one process only; this index also finds a chain's head (its highest seq).
  await db.schema
    .createIndex('audit_events_chain')
    .on('audit_events')
    .columns(['chain_id', 'seq'])
    .unique()
    .where(sql.ref('chain_id'), '<>', 'legacy')
    .execute();
  // Export reads a time range in (at_ms, id) order, page by page.
  await createIndex(db, 'audit_events_time', 'audit_events', ['at_ms', 'id']);
}
