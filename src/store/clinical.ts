/** Read queries over clinical data: encounters, patients, documents, transcripts and recordings. */
import type { Kysely, Selectable } from 'kysely';
import { SUPPORTED_DOCUMENT_TYPES } from '../contract/schemas.js';
import { compiledQuery, PLACEHOLDER, paddedInList, placeholders } from './compiled.js';
import type {
  Database,
  DocumentsTable,
  EncountersTable,
  PatientsTable,
  RecordingsTable,
  TranscriptsTable,
} from './schema.js';

export type EncounterRow = Selectable<EncountersTable>;
export type PatientRow = Selectable<PatientsTable>;
export type DocumentRow = Selectable<DocumentsTable>;
export type TranscriptRow = Selectable<TranscriptsTable>;
export type RecordingRow = Selectable<RecordingsTable>;

export interface EncounterPageQuery {
  organizationId: string;
  limit: number;
  offset: number;
  order: 'asc' | 'desc';
  startMs: number | null;
  endMs: number | null;
}

const encounterById = compiledQuery<EncounterRow>((db) =>
  db.selectFrom('encounters').selectAll().where('id', '=', PLACEHOLDER),
);

export async function findEncounter(db: Kysely<Database>, id: string): Promise<EncounterRow | undefined> {
  return (await encounterById.rows(db, [id]))[0];
}

/**
 * One page of an organization's listable encounters (available, clinical), ordered by created_at then id.
 *
 * The page's ids come from the `encounters_list` index alone (it holds every column the filter and the order
 * need, so skipping `offset` rows never touches the table), then only those rows are read: at offset 10,000 this
 * reads ~140 pages instead of ~10,000 on PostgreSQL (bench/postgres-plans.md).
 */
export async function listEncounterPage(db: Kysely<Database>, query: EncounterPageQuery): Promise<EncounterRow[]> {
  let page = db
    .selectFrom('encounters')
    .select('id')
    .where('organization_id', '=', query.organizationId)
    .where('origin', '=', 'clinical')
    .where('available', '=', 1);
  if (query.startMs !== null) page = page.where('created_at_ms', '>=', query.startMs);
  if (query.endMs !== null) page = page.where('created_at_ms', '<', query.endMs);
  const ids = page
    .orderBy('created_at_ms', query.order)
    .orderBy('id', query.order)
    .limit(query.limit)
    .offset(query.offset)
    .as('page');
  return db
    .selectFrom('encounters')
    .innerJoin(ids, 'page.id', 'encounters.id')
    .selectAll('encounters')
    .orderBy('encounters.created_at_ms', query.order)
    .orderBy('encounters.id', query.order)
    .execute();
}

const patientsByIds = compiledQuery<PatientRow>(
  (db, count) => db.selectFrom('patients').selectAll().where('id', 'in', placeholders(count)),
  (parameters) => parameters.length,
);

export async function findPatients(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, PatientRow>> {
  if (ids.length === 0) return new Map();
  const rows = await patientsByIds.rows(db, paddedInList([...new Set(ids)]));
  return new Map(rows.map((row) => [row.id, row]));
}

/** The supported, available documents of each encounter, oldest first. */
export async function listedDocuments(
  db: Kysely<Database>,
  encounterIds: readonly string[],
): Promise<Map<string, DocumentRow[]>> {
  const byEncounter = new Map<string, DocumentRow[]>(encounterIds.map((id) => [id, []]));
  if (encounterIds.length === 0) return byEncounter;
  const rows = await documentsOfEncounters.rows(db, [...paddedInList(encounterIds), 1, ...SUPPORTED_DOCUMENT_TYPES]);
  for (const row of rows) byEncounter.get(row.encounter_id)?.push(row);
  return byEncounter;
}

const documentsOfEncounters = compiledQuery<DocumentRow>(
  (db, count) =>
    db
      .selectFrom('documents')
      .selectAll()
      .where('encounter_id', 'in', placeholders(count))
      .where('available', '=', PLACEHOLDER as unknown as number)
      .where('schema_type', 'in', placeholders(SUPPORTED_DOCUMENT_TYPES.length))
      .orderBy('encounter_id')
      .orderBy('created_at_ms')
      .orderBy('id'),
  (parameters) => parameters.length - 1 - SUPPORTED_DOCUMENT_TYPES.length,
);

const documentById = compiledQuery<DocumentRow>((db) =>
  db.selectFrom('documents').selectAll().where('id', '=', PLACEHOLDER),
);
const transcriptByDocument = compiledQuery<TranscriptRow>((db) =>
  db.selectFrom('transcripts').selectAll().where('document_id', '=', PLACEHOLDER),
);
const recordingByDocument = compiledQuery<RecordingRow>((db) =>
  db.selectFrom('recordings').selectAll().where('document_id', '=', PLACEHOLDER),
);

export async function findDocument(db: Kysely<Database>, id: string): Promise<DocumentRow | undefined> {
  return (await documentById.rows(db, [id]))[0];
}

export async function findTranscript(db: Kysely<Database>, documentId: string): Promise<TranscriptRow | undefined> {
  return (await transcriptByDocument.rows(db, [documentId]))[0];
}

export async function findRecording(db: Kysely<Database>, documentId: string): Promise<RecordingRow | undefined> {
  return (await recordingByDocument.rows(db, [documentId]))[0];
}
