/**
 * Batched upserts of clinical rows, shared by `charthero import` and `charthero seed`. Each call writes at most
 * BATCH_ROWS rows per statement (`INSERT … ON CONFLICT (id) DO UPDATE`, the same SQL on SQLite and PostgreSQL).
 * Callers pass parents before children (organizations, patients, encounters, documents, then transcripts and
 * recordings) so foreign keys hold after every statement.
 */
import type { Kysely } from 'kysely';
import type { DocumentRow, EncounterRow, PatientRow, RecordingRow, TranscriptRow } from './clinical.js';
import type { Database, EncounterItemsTable } from './schema.js';

/** What an import or the seed says about an organization; its access switches are the operator's. */
export interface OrganizationInput {
  id: string;
  name: string;
}

/** Rows per statement: large enough to amortize round trips, small enough for both dialects' parameter limits. */
export const BATCH_ROWS = 500;

/**
 * The last row wins for a repeated key, as if the rows had been applied one by one; one statement may not touch
 * the same row twice (PostgreSQL refuses `ON CONFLICT DO UPDATE` on a row inserted by the same statement).
 */
function lastPerKey<T>(rows: readonly T[], key: (row: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const row of rows) {
    const id = key(row);
    byKey.delete(id); // Re-inserting keeps the map in the order of the last occurrence.
    byKey.set(id, row);
  }
  return [...byKey.values()];
}

async function upsert<T extends object>(
  db: Kysely<Database>,
  table: keyof Database & string,
  keyColumn: string,
  rows: readonly T[],
  updateColumns: readonly string[],
): Promise<void> {
  const unique = lastPerKey(rows, (row) => String((row as Record<string, unknown>)[keyColumn]));
  // The table name varies, so the typed builder cannot follow; the row types above are the type check.
  const untyped = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  for (let start = 0; start < unique.length; start += BATCH_ROWS) {
    const batch = unique.slice(start, start + BATCH_ROWS) as Record<string, unknown>[];
    await untyped
      .insertInto(table)
      .values(batch)
      .onConflict((oc) =>
        oc
          .column(keyColumn)
          .doUpdateSet((eb) =>
            Object.fromEntries(updateColumns.map((column) => [column, eb.ref(`excluded.${column}`)])),
          ),
      )
      .execute();
  }
}

/**
 * Imported organizations get their name updated; new ones start with the public API closed (not allowlisted, no
 * routes), because opening access is an operator decision made with `charthero org`, never a side effect of data.
 */
export async function upsertOrganizations(
  db: Kysely<Database>,
  organizations: readonly OrganizationInput[],
  nowMs: number = Date.now(),
): Promise<void> {
  const rows = organizations.map((organization) => ({
    id: organization.id,
    name: organization.name,
    allowlisted: 0,
    api_keys_enabled: 1,
    rate_limit_per_second: 0,
    enabled_routes: '',
    state_version: 1,
    created_at_ms: nowMs,
  }));
  await upsert(db, 'organizations', 'id', rows, ['name']);
}

export async function upsertPatients(db: Kysely<Database>, rows: readonly PatientRow[]): Promise<void> {
  await upsert(db, 'patients', 'id', rows, ['organization_id', 'first_name', 'last_name', 'date_of_birth']);
}

export async function upsertEncounters(db: Kysely<Database>, rows: readonly EncounterRow[]): Promise<void> {
  await upsert(db, 'encounters', 'id', rows, [
    'organization_id',
    'patient_id',
    'encounter_type',
    'status',
    'origin',
    'available',
    'created_at_ms',
    'updated_at_ms',
    'date_of_service_ms',
  ]);
}

export async function upsertDocuments(db: Kysely<Database>, rows: readonly DocumentRow[]): Promise<void> {
  await upsert(db, 'documents', 'id', rows, [
    'encounter_id',
    'schema_type',
    'title',
    'status',
    'workflow_variant',
    'available',
    'audio_duration_seconds',
    'content_format',
    'content_text',
    'created_at_ms',
    'updated_at_ms',
  ]);
}

export async function upsertTranscripts(db: Kysely<Database>, rows: readonly TranscriptRow[]): Promise<void> {
  await upsert(db, 'transcripts', 'document_id', rows, [
    'provider',
    'audio_duration_seconds',
    'finalized_at_ms',
    'turns',
  ]);
}

export async function upsertRecordings(db: Kysely<Database>, rows: readonly RecordingRow[]): Promise<void> {
  await upsert(db, 'recordings', 'document_id', rows, ['object_key', 'content_type', 'byte_size']);
}

/** Each encounter's list item as the API sends it (src/resources/served-items.ts builds them). */
export async function upsertEncounterItems(db: Kysely<Database>, rows: readonly EncounterItemsTable[]): Promise<void> {
  await upsert(db, 'encounter_items', 'encounter_id', rows, ['version', 'item', 'disclosed']);
}
