import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/** The whole v1 schema; both dialects get the same tables and indexes. */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const autoId = dialect === 'postgres' ? 'bigserial' : 'integer';

  await db.schema
    .createTable('organizations')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('allowlisted', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('api_keys_enabled', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('rate_limit_per_second', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('enabled_routes', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('state_version', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('created_at_ms', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('digest', 'text', (col) => col.notNull().unique())
    .addColumn('digest_key_version', 'integer', (col) => col.notNull())
    .addColumn('environment', 'text', (col) => col.notNull())
    .addColumn('organization_id', 'text', (col) => col.references('organizations.id'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('scopes', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('expires_at_ms', 'bigint')
    .addColumn('created_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('last_used_at_ms', 'bigint')
    .addColumn('rate_limit_per_second', 'integer')
    .addColumn('display_prefix', 'text', (col) => col.notNull())
    .addColumn('state_version', 'integer', (col) => col.notNull().defaultTo(1))
    .execute();
  await db.schema.createIndex('api_keys_organization').on('api_keys').column('organization_id').execute();

  await db.schema
    .createTable('patients')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('organization_id', 'text', (col) => col.notNull().references('organizations.id'))
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('date_of_birth', 'text')
    .execute();

  await db.schema
    .createTable('encounters')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('organization_id', 'text', (col) => col.notNull().references('organizations.id'))
    .addColumn('patient_id', 'text', (col) => col.notNull().references('patients.id'))
    .addColumn('encounter_type', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('origin', 'text', (col) => col.notNull())
    .addColumn('available', 'integer', (col) => col.notNull())
    .addColumn('created_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('updated_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('date_of_service_ms', 'bigint')
    .execute();
  // The list reads one organization's available clinical encounters in created_at/id order: equality columns
  // first, then the sort key, so both directions and deep offsets walk the index without a sort.
  await db.schema
    .createIndex('encounters_list')
    .on('encounters')
    .columns(['organization_id', 'origin', 'available', 'created_at_ms', 'id'])
    .execute();

  await db.schema
    .createTable('documents')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('encounter_id', 'text', (col) => col.notNull().references('encounters.id'))
    .addColumn('schema_type', 'text', (col) => col.notNull())
    .addColumn('title', 'text')
    .addColumn('status', 'text')
    .addColumn('workflow_variant', 'text')
    .addColumn('available', 'integer', (col) => col.notNull())
    .addColumn('audio_duration_seconds', 'double precision')
    .addColumn('content_format', 'text')
    .addColumn('content_text', 'text')
    .addColumn('created_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('updated_at_ms', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('documents_encounter')
    .on('documents')
    .columns(['encounter_id', 'created_at_ms', 'id'])
    .execute();

  await db.schema
    .createTable('transcripts')
    .addColumn('document_id', 'text', (col) => col.primaryKey().references('documents.id'))
    .addColumn('provider', 'text', (col) => col.notNull())
    .addColumn('audio_duration_seconds', 'double precision')
    .addColumn('finalized_at_ms', 'bigint')
    .addColumn('turns', 'text', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('recordings')
    .addColumn('document_id', 'text', (col) => col.primaryKey().references('documents.id'))
    .addColumn('object_key', 'text', (col) => col.notNull())
    .addColumn('content_type', 'text', (col) => col.notNull())
    .addColumn('byte_size', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('change_feed')
    .addColumn('id', autoId, (col) => col.primaryKey().autoIncrement())
    .addColumn('entity', 'text', (col) => col.notNull())
    .addColumn('entity_id', 'text', (col) => col.notNull())
    .addColumn('changed_at_ms', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', autoId, (col) => col.primaryKey().autoIncrement())
    .addColumn('at_ms', 'bigint', (col) => col.notNull())
    .addColumn('event', 'text', (col) => col.notNull())
    .addColumn('request_id', 'text', (col) => col.notNull())
    .addColumn('key_id', 'text')
    .addColumn('organization_id', 'text')
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
  await db.schema
    .createIndex('audit_events_organization')
    .on('audit_events')
    .columns(['organization_id', 'at_ms'])
    .execute();
}
