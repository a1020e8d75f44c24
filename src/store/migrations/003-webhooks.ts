import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../db.js';
import {
  createdAndUpdated,
  createdAt,
  createIndex,
  createTableWithId,
  idType,
  ownedByOrganization,
} from './columns.js';

/**
 * Webhooks (docs/webhooks.md): endpoints, the event outbox, one delivery per (event, endpoint), and the
 * staging table through which a transaction that finalizes a transcript hands it to the outbox.
 *
 * The staging rows are written by triggers on `transcripts`, which see the row before and after each write, so
 * "absent or not finalized before" is decided by the database however the importer batches its upserts; the import
 * transaction then turns them into events before it commits (src/webhooks/outbox.ts).
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const id = idType(dialect);

  await createTableWithId(db, 'webhook_endpoints', id)
    .$call(ownedByOrganization(id))
    .addColumn('url', 'text', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    /** `<keyring version>.<base64url(iv | ciphertext | tag)>`: AES-256-GCM, never the plain secret. */
    .addColumn('secret_sealed', 'text', (col) => col.notNull())
    .addColumn('previous_secret_sealed', 'text')
    .addColumn('previous_secret_expires_at_ms', 'bigint')
    .$call(createdAndUpdated)
    .execute();
  await createIndex(db, 'webhook_endpoints_organization', 'webhook_endpoints', ['organization_id', 'status']);

  await createTableWithId(db, 'webhook_events', id)
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('organization_id', id, (col) => col.notNull())
    .addColumn('encounter_id', id, (col) => col.notNull())
    .addColumn('document_id', id, (col) => col.notNull())
    .addColumn('occurred_at_ms', 'bigint', (col) => col.notNull())
    /** The exact body bytes, so every attempt and every replay sends the same ones. */
    .addColumn('body', 'text', (col) => col.notNull())
    .$call(createdAt)
    .execute();
  await createIndex(db, 'webhook_events_document', 'webhook_events', ['document_id']);

  await createTableWithId(db, 'webhook_deliveries', id)
    .addColumn('event_id', id, (col) => col.notNull().references('webhook_events.id'))
    .addColumn('endpoint_id', id, (col) => col.notNull().references('webhook_endpoints.id'))
    /** pending, delivered or failed. */
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('next_attempt_at_ms', 'bigint', (col) => col.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until_ms', 'bigint')
    .addColumn('last_attempt_at_ms', 'bigint')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error_class', 'text')
    .addColumn('last_latency_ms', 'integer')
    .addColumn('delivered_at_ms', 'bigint')
    .$call(createdAt)
    .execute();
  // The worker's claim: pending rows in due order.
  await createIndex(db, 'webhook_deliveries_due', 'webhook_deliveries', ['state', 'next_attempt_at_ms']);
  await createIndex(db, 'webhook_deliveries_endpoint', 'webhook_deliveries', ['endpoint_id', 'created_at_ms']);
  await createIndex(db, 'webhook_deliveries_event', 'webhook_deliveries', ['event_id']);

  await db.schema
    .createTable('webhook_finalized_transcripts')
    .addColumn('document_id', id, (col) => col.primaryKey())
    .execute();

  if (dialect === 'postgres') {
    await sql`
      create function webhook_transcript_finalized() returns trigger language plpgsql as $$
      begin
        if new.finalized_at_ms is not null and (tg_op = 'INSERT' or old.finalized_at_ms is null) then
          insert into webhook_finalized_transcripts (document_id) values (new.document_id) on conflict do nothing;
        end if;
        return null;
      end $$`.execute(db);
    await sql`
      create trigger webhook_transcript_finalized after insert or update of finalized_at_ms on transcripts
      for each row execute function webhook_transcript_finalized()`.execute(db);
  } else {
    await sql`
      create trigger webhook_transcript_finalized_insert after insert on transcripts
      when new.finalized_at_ms is not null
      begin
        insert or ignore into webhook_finalized_transcripts (document_id) values (new.document_id);
      end`.execute(db);
    await sql`
      create trigger webhook_transcript_finalized_update after update of finalized_at_ms on transcripts
      when new.finalized_at_ms is not null and old.finalized_at_ms is null
      begin
        insert or ignore into webhook_finalized_transcripts (document_id) values (new.document_id);
      end`.execute(db);
  }
}
