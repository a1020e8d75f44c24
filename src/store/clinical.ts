/** Read queries over clinical data: encounters, patients, documents, transcripts and recordings. */
import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import { SUPPORTED_DOCUMENT_TYPES } from '../contract/schemas.js';
import { coalescedLookup } from './coalesced.js';
import { type Compiled, compiledQuery, inListQuery, PLACEHOLDER, paddedInList, placeholders } from './compiled.js';
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

const encountersByIds = inListQuery<EncounterRow>((db, count) =>
  db.selectFrom('encounters').selectAll().where('id', 'in', placeholders(count)),
);

const encountersById = coalescedLookup(encountersByIds, (row) => row.id);

/** One encounter by id, read with the other detail requests of this turn (src/store/coalesced.ts). */
export function findEncounter(db: Kysely<Database>, id: string): Promise<EncounterRow | undefined> {
  return encountersById.find(db, id);
}

/**
 * One page of an organization's listable encounters (available, clinical), ordered by created_at then id.
 *
 * The page's ids come from the `encounters_list` index alone (it holds every column the filter and the order
 * need, so skipping `offset` rows never touches the table), then only those rows are read: at offset 10,000 this
 * reads ~140 pages instead of ~10,000 on PostgreSQL (bench/postgres-plans.md).
 */
export async function listEncounterPage(db: Kysely<Database>, query: EncounterPageQuery): Promise<EncounterRow[]> {
  return encounterPage(query, 'rows').rows(db, pageParameters(query)) as Promise<EncounterRow[]>;
}

/** An encounter's stored list item (encounter_items), null when it has none. */
export interface ServedItem {
  version: number | null;
  item: string | null;
  disclosed: string | null;
}

/** The same page as listEncounterPage, as each encounter's id and stored item instead of its row. */
export async function listServedPage(
  db: Kysely<Database>,
  query: EncounterPageQuery,
): Promise<Array<ServedItem & { id: string }>> {
  return encounterPage(query, 'served').rows(db, pageParameters(query)) as Promise<Array<ServedItem & { id: string }>>;
}

function pageParameters(query: EncounterPageQuery): unknown[] {
  const parameters: unknown[] = [query.organizationId, 'clinical', 1];
  if (query.startMs !== null) parameters.push(query.startMs);
  if (query.endMs !== null) parameters.push(query.endMs);
  parameters.push(query.limit, query.offset);
  return parameters;
}

/** The page query of each order, filter combination and form (sixteen), each compiled once. */
const encounterPages = new Map<string, Compiled<unknown>>();

function encounterPage(query: EncounterPageQuery, form: 'rows' | 'served'): Compiled<unknown> {
  const { order } = query;
  const fromStart = query.startMs !== null;
  const beforeEnd = query.endMs !== null;
  const shape = `${order}:${fromStart}:${beforeEnd}:${form}`;
  let compiled = encounterPages.get(shape);
  if (compiled === undefined) {
    compiled = compiledQuery<unknown>((db) => {
      let page = db
        .selectFrom('encounters')
        .select(['id', 'created_at_ms'])
        .where('organization_id', '=', PLACEHOLDER)
        .where('origin', '=', PLACEHOLDER)
        .where('available', '=', PLACEHOLDER as unknown as number);
      if (fromStart) page = page.where('created_at_ms', '>=', PLACEHOLDER as unknown as number);
      if (beforeEnd) page = page.where('created_at_ms', '<', PLACEHOLDER as unknown as number);
      const ids = page
        .orderBy('created_at_ms', order)
        .orderBy('id', order)
        .limit(PLACEHOLDER as unknown as number)
        .offset(PLACEHOLDER as unknown as number)
        .as('page');
      if (form === 'served') {
        // The page's ids and order come from the index alone; only the stored items are read.
        return db
          .selectFrom(ids)
          .leftJoin('encounter_items', 'encounter_items.encounter_id', 'page.id')
          .select(['page.id', 'encounter_items.version', 'encounter_items.item', 'encounter_items.disclosed'])
          .orderBy('page.created_at_ms', order)
          .orderBy('page.id', order);
      }
      return db
        .selectFrom('encounters')
        .innerJoin(ids, 'page.id', 'encounters.id')
        .selectAll('encounters')
        .orderBy('encounters.created_at_ms', order)
        .orderBy('encounters.id', order);
    });
    encounterPages.set(shape, compiled);
  }
  return compiled;
}

/** The encounters among `ids` (in no particular order). */
export async function findEncounters(db: Kysely<Database>, ids: readonly string[]): Promise<EncounterRow[]> {
  return ids.length === 0 ? [] : encountersByIds.rows(db, paddedInList([...new Set(ids)]));
}

/** Up to `limit` encounter ids after `afterId`, in id order. */
export async function encounterIdsAfter(db: Kysely<Database>, afterId: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('encounters')
    .select('id')
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((row) => row.id);
}

/** The ids of the encounters of these patients. */
export async function encounterIdsOfPatients(db: Kysely<Database>, patientIds: readonly string[]): Promise<string[]> {
  if (patientIds.length === 0) return [];
  const rows = await db
    .selectFrom('encounters')
    .select('id')
    .where('patient_id', 'in', [...new Set(patientIds)])
    .execute();
  return rows.map((row) => row.id);
}

/** What a detail route checks of an encounter (step 12), with its stored item. */
export type ServedEncounter = Pick<EncounterRow, 'id' | 'organization_id' | 'origin' | 'available'> & ServedItem;

const servedEncountersById = coalescedLookup(
  inListQuery<ServedEncounter>((db, count) =>
    db
      .selectFrom('encounters')
      .leftJoin('encounter_items', 'encounter_items.encounter_id', 'encounters.id')
      .select([
        'encounters.id',
        'encounters.organization_id',
        'encounters.origin',
        'encounters.available',
        'encounter_items.version',
        'encounter_items.item',
        'encounter_items.disclosed',
      ])
      .where('encounters.id', 'in', placeholders(count)),
  ),
  (row) => row.id,
);

/** One encounter's access fields and stored item, read with the other detail requests of this turn. */
export function findServedEncounter(db: Kysely<Database>, id: string): Promise<ServedEncounter | undefined> {
  return servedEncountersById.find(db, id);
}

const patientsByIds = inListQuery<PatientRow>((db, count) =>
  db.selectFrom('patients').selectAll().where('id', 'in', placeholders(count)),
);

export async function findPatients(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, PatientRow>> {
  if (ids.length === 0) return new Map();
  const rows = await patientsByIds.rows(db, paddedInList([...new Set(ids)]));
  return new Map(rows.map((row) => [row.id, row]));
}

/** What an encounter shows of each of its documents: no content, which a list page would otherwise read for every note. */
const SUMMARY_COLUMNS = [
  'id',
  'encounter_id',
  'schema_type',
  'title',
  'status',
  'created_at_ms',
  'updated_at_ms',
] as const;
export type DocumentSummaryRow = Pick<DocumentRow, (typeof SUMMARY_COLUMNS)[number]>;

/** The supported, available documents of each encounter, oldest first. */
export async function listedDocuments(
  db: Kysely<Database>,
  encounterIds: readonly string[],
): Promise<Map<string, DocumentSummaryRow[]>> {
  const byEncounter = new Map<string, DocumentSummaryRow[]>(encounterIds.map((id) => [id, []]));
  if (encounterIds.length === 0) return byEncounter;
  const rows = await documentsOfEncounters.rows(db, [...paddedInList(encounterIds), ...LISTED_DOCUMENT_VALUES]);
  for (const row of rows) byEncounter.get(row.encounter_id)?.push(row);
  return byEncounter;
}

/** A document an encounter lists: available and of a supported type. Binds LISTED_DOCUMENT_VALUES, in order. */
function isListedDocument(eb: ExpressionBuilder<Database, 'documents'>) {
  return eb.and([
    eb('documents.available', '=', PLACEHOLDER as unknown as number),
    eb('documents.schema_type', 'in', placeholders(SUPPORTED_DOCUMENT_TYPES.length)),
  ]);
}
const LISTED_DOCUMENT_VALUES = [1, ...SUPPORTED_DOCUMENT_TYPES];

const documentsOfEncounters = compiledQuery<DocumentSummaryRow>(
  (db, count) =>
    db
      .selectFrom('documents')
      .select(SUMMARY_COLUMNS)
      .where('encounter_id', 'in', placeholders(count))
      .where(isListedDocument)
      .orderBy('encounter_id')
      .orderBy('created_at_ms')
      .orderBy('id'),
  (parameters) => parameters.length - LISTED_DOCUMENT_VALUES.length,
);

/** What an encounter shows of its patient. */
export type PatientSummaryRow = Pick<PatientRow, 'first_name' | 'last_name' | 'date_of_birth'>;

export interface EncounterWithDetails {
  encounter: EncounterRow;
  patient: PatientSummaryRow;
  documents: DocumentSummaryRow[];
}

/** An encounter with its patient's summary and one of its listed documents (or none) per row. */
interface EncounterDetailRow extends EncounterRow {
  patient_first_name: string | null;
  patient_last_name: string | null;
  patient_date_of_birth: string | null;
  document_id: string | null;
  document_schema_type: string | null;
  document_title: string | null;
  document_status: string | null;
  document_created_at_ms: number | null;
  document_updated_at_ms: number | null;
}

/**
 * get_encounter's reads in one statement: the encounter, its patient and its listed documents (one row per
 * document, oldest first; one row with null document columns when it has none). A round trip each was most of the
 * route's database cost on PostgreSQL (bench/README.md).
 */
const encounterWithDetails = compiledQuery<EncounterDetailRow>((db) =>
  db
    .selectFrom('encounters')
    .leftJoin('patients', 'patients.id', 'encounters.patient_id')
    .leftJoin('documents', (join) => join.onRef('documents.encounter_id', '=', 'encounters.id').on(isListedDocument))
    .selectAll('encounters')
    .select([
      'patients.first_name as patient_first_name',
      'patients.last_name as patient_last_name',
      'patients.date_of_birth as patient_date_of_birth',
      'documents.id as document_id',
      'documents.schema_type as document_schema_type',
      'documents.title as document_title',
      'documents.status as document_status',
      'documents.created_at_ms as document_created_at_ms',
      'documents.updated_at_ms as document_updated_at_ms',
    ])
    .where('encounters.id', '=', PLACEHOLDER)
    .orderBy('documents.created_at_ms')
    .orderBy('documents.id'),
);

export async function findEncounterWithDetails(
  db: Kysely<Database>,
  id: string,
): Promise<EncounterWithDetails | undefined> {
  const rows = await encounterWithDetails.rows(db, [...LISTED_DOCUMENT_VALUES, id]);
  const first = rows[0];
  if (!first) return undefined;
  const documents = rows
    .filter((row) => row.document_id !== null)
    .map((row) => ({
      id: row.document_id!,
      encounter_id: row.id,
      schema_type: row.document_schema_type!,
      title: row.document_title,
      status: row.document_status,
      created_at_ms: row.document_created_at_ms!,
      updated_at_ms: row.document_updated_at_ms!,
    }));
  const patient = {
    first_name: first.patient_first_name,
    last_name: first.patient_last_name,
    date_of_birth: first.patient_date_of_birth,
  };
  return { encounter: first, patient, documents };
}

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
