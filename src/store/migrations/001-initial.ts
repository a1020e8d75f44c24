import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../db.js';
import {
  createdAndUpdated,
  createdAt,
  createIndex,
  createTableWithId,
  createTableWithSerialId,
  idType,
  ownedByOrganization,
} from './columns.js';

/** The channel the change feed NOTIFYs on (PostgreSQL) after every committed insert. */
export const CHANGE_FEED_CHANNEL = 'charthero_change_feed';

/** The transaction-level advisory lock that serializes change-feed inserts on PostgreSQL ("chfd"). */
const CHANGE_FEED_LOCK = 0x63686664;

/** The whole v1 schema; both dialects get the same tables and indexes. */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const id = idType(dialect);

  await createTableWithId(db, 'organizations', id)
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('allowlisted', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('api_keys_enabled', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('rate_limit_per_second', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('enabled_routes', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('state_version', 'integer', (col) => col.notNull().defaultTo(1))
    .$call(createdAt)
    .execute();

  await createTableWithId(db, 'api_keys', id)
    .addColumn('digest', id, (col) => col.notNull().unique())
    .addColumn('digest_key_version', 'integer', (col) => col.notNull())
    .addColumn('environment', 'text', (col) => col.notNull())
    .addColumn('organization_id', id, (col) => col.references('organizations.id'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('scopes', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('expires_at_ms', 'bigint')
    .$call(createdAt)
    .addColumn('last_used_at_ms', 'bigint')
    .addColumn('rate_limit_per_second', 'integer')
    .addColumn('display_prefix', 'text', (col) => col.notNull())
    .addColumn('state_version', 'integer', (col) => col.notNull().defaultTo(1))
    .execute();
  await createIndex(db, 'api_keys_organization', 'api_keys', ['organization_id']);

  await createTableWithId(db, 'patients', id)
    .$call(ownedByOrganization(id))
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('date_of_birth', 'text')
    .execute();

  await createTableWithId(db, 'encounters', id)
    .$call(ownedByOrganization(id))
    .addColumn('patient_id', id, (col) => col.notNull().references('patients.id'))
    .addColumn('encounter_type', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('origin', 'text', (col) => col.notNull())
    .addColumn('available', 'integer', (col) => col.notNull())
    .$call(createdAndUpdated)
    .addColumn('date_of_service_ms', 'bigint')
    .execute();
  // The list reads one organization's available clinical encounters in created_at/id order: equality columns
  // first, then the sort key, so both directions and deep offsets walk the index without a sort.
  await createIndex(db, 'encounters_list', 'encounters', [
    'organization_id',
    'origin',
    'available',
    'created_at_ms',
    'id',
  ]);

  await createTableWithId(db, 'documents', id)
    .addColumn('encounter_id', id, (col) => col.notNull().references('encounters.id'))
    .addColumn('schema_type', 'text', (col) => col.notNull())
    .addColumn('title', 'text')
    .addColumn('status', 'text')
    .addColumn('workflow_variant', 'text')
    .addColumn('available', 'integer', (col) => col.notNull())
    .addColumn('audio_duration_seconds', 'double precision')
    .addColumn('content_format', 'text')
    .addColumn('content_text', 'text')
    .$call(createdAndUpdated)
    .execute();
  await createIndex(db, 'documents_encounter', 'documents', ['encounter_id', 'created_at_ms', 'id']);

  await db.schema
    .createTable('transcripts')
    .addColumn('document_id', id, (col) => col.primaryKey().references('documents.id'))
    .addColumn('provider', 'text', (col) => col.notNull())
    .addColumn('audio_duration_seconds', 'double precision')
    .addColumn('finalized_at_ms', 'bigint')
    .addColumn('turns', 'text', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('recordings')
    .addColumn('document_id', id, (col) => col.primaryKey().references('documents.id'))
    .addColumn('object_key', 'text', (col) => col.notNull())
    .addColumn('content_type', 'text', (col) => col.notNull())
    .addColumn('byte_size', 'bigint', (col) => col.notNull())
    .execute();

  // Readers tail the feed by id (`id > last seen`), so ids must become visible in increasing order. SQLite has one
  // writer at a time and AUTOINCREMENT never reuses an id. PostgreSQL hands out sequence values at insert time but
  // transactions commit in any order, so a reader could see id 6 before id 5 commits and then skip 5 for good: the
  // trigger below takes a transaction-level lock first and only then draws the id, so inserts commit in id order
  // (changes are rare, and recording the change is the last statement of every transaction that makes one).
  await createTableWithSerialId(db, 'change_feed', dialect)
    .addColumn('entity', 'text', (col) => col.notNull())
    .addColumn('entity_id', id, (col) => col.notNull())
    .addColumn('changed_at_ms', 'bigint', (col) => col.notNull())
    .execute();
  if (dialect === 'postgres') {
    await sql`
      create function change_feed_before_insert() returns trigger language plpgsql as $$
      begin
        perform pg_advisory_xact_lock(${sql.lit(CHANGE_FEED_LOCK)});
        new.id := nextval(pg_get_serial_sequence('change_feed', 'id'));
        return new;
      end $$`.execute(db);
    await sql`
      create trigger change_feed_before_insert before insert on change_feed
      for each row execute function change_feed_before_insert()`.execute(db);
    // A wake-up call for every running instance, delivered when the inserting transaction commits; the state itself
    // is always read back from the tables, so a lost notification only costs the poll interval.
    await sql`
      create function change_feed_notify() returns trigger language plpgsql as $$
      begin
        perform pg_notify(${sql.lit(CHANGE_FEED_CHANNEL)}, '');
        return null;
      end $$`.execute(db);
    await sql`
      create trigger change_feed_notify after insert on change_feed
      for each statement execute function change_feed_notify()`.execute(db);
  }

  await createTableWithSerialId(db, 'audit_events', dialect)
    .addColumn('at_ms', 'bigint', (col) => col.notNull())
    .addColumn('event', 'text', (col) => col.notNull())
    .addColumn('request_id', id, (col) => col.notNull())
    .addColumn('key_id', id)
    .addColumn('organization_id', id)
    .addColumn('route_id', 'text')
    .addColumn('method', 'text', (col) => col.notNull())
    .addColumn('status', 'integer', (col) => col.notNull())
    .addColumn('reason_code', 'text')
    .addColumn('resource_ids', 'text', (col) => col.notNull())
    .addColumn('client_ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('latency_ms', 'double precision', (col) => col.notNull())
    .addColumn('prev_hash', 'text', (col) => col.notNull())
    .addColumn('hash', 'text', (col) => col.notNull())
    .execute();
  // One row holding the chain's last hash: writers lock it first, so batches from several instances chain in order.
  await db.schema
    .createTable('audit_chain_head')
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .addColumn('last_hash', 'text', (col) => col.notNull())
    .execute();
  await db
    .insertInto('audit_chain_head' as never)
    .values({ id: 1, last_hash: '0'.repeat(64) } as never)
    .execute();
  await createIndex(db, 'audit_events_organization', 'audit_events', ['organization_id', 'at_ms']);
}
