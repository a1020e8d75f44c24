/**
 * encounter_items: each encounter's list item as the API sends it (src/resources/encounter-items.ts), written for
 * every encounter already stored; from now on the import keeps it in step with its rows. The index on patient_id
 * lets the import find the encounters whose items a changed patient appears in. On SQLite the migration does not
 * run in one transaction, so each step may already have been done by an interrupted run: the next run finishes it.
 */
import type { Kysely } from 'kysely';
import { rebuildAllEncounterItems } from '../../resources/encounter-items.js';
import type { Dialect } from '../db.js';
import type { Database } from '../schema.js';
import { idType } from './columns.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('encounter_items')
    .ifNotExists()
    .addColumn('encounter_id', idType(dialect), (col) => col.primaryKey().references('encounters.id'))
    .addColumn('version', 'integer', (col) => col.notNull())
    .addColumn('item', 'text', (col) => col.notNull())
    .addColumn('disclosed', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('encounters_patient').ifNotExists().on('encounters').column('patient_id').execute();
  await rebuildAllEncounterItems(db as Kysely<Database>);
}
