/**
 * Streaming, all-or-nothing NDJSON import (docs/import.md).
 *
 * - Lines are read one at a time and handled in chunks of BATCH_ROWS records, so memory stays flat whatever the
 *   file size: references are checked against the chunk itself plus one `IN (…)` query per table, and earlier
 *   chunks are already written to the (uncommitted) transaction, which sees its own writes.
 * - The whole file runs in one database transaction; the first bad line throws `line N: …` and rolls it back.
 * - Audio files are copied into storage only after every line has been validated and written, still inside the
 *   transaction, so a copy failure rolls the rows back too. Object keys carry a hash of the content, so a copy never
 *   replaces bytes an existing recording row points at: a failed import can leave unreferenced objects behind
 *   (harmless, overwritten with identical bytes by a retry) but never changes what is served.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Kysely } from 'kysely';
import type { AudioStorage } from '../media/storage.js';
import type { DocumentRow, EncounterRow, PatientRow, RecordingRow, TranscriptRow } from '../store/clinical.js';
import type { Database } from '../store/schema.js';
import {
  type OrganizationInput,
  type ParsedRecord,
  parseRecord,
  RECORD_TYPES,
  RecordError,
  type RecordType,
} from './records.js';
import {
  BATCH_ROWS,
  upsertDocuments,
  upsertEncounters,
  upsertOrganizations,
  upsertPatients,
  upsertRecordings,
  upsertTranscripts,
} from './upsert.js';

/** The import stopped at this line; nothing from the file was kept. */
export class ImportError extends Error {
  override name = 'ImportError';
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
  }
}

export interface SourceLine {
  /** 1-based physical line number, blank lines included. */
  line: number;
  text: string;
}

export type ImportSummary = { lines: number; records: number } & Record<RecordType, number>;

/** A recording whose file exists and has been hashed; its object key is settled once its organization is known. */
interface CheckedRecording {
  documentId: string;
  path: string;
  contentType: string;
  byteSize: number;
  sha256: string;
}

/** A line that passed its own checks; recordings carry their checked file instead of the path as written. */
interface Pending {
  line: number;
  record: Exclude<ParsedRecord, { type: 'recording' }> | { type: 'recording'; row: CheckedRecording };
}

interface CopyJob {
  objectKey: string;
  path: string;
  contentType: string;
}

/** Reads a file line by line; readline pauses the stream while lines wait, so memory does not follow file size. */
export async function* readLines(path: string): AsyncGenerator<SourceLine> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      yield { line, text: line === 1 ? text.replace(/^\uFEFF/, '') : text };
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * `file` must be relative (so an import folder can be moved as a whole); `..` is allowed because the operator
 * running the CLI can read those files anyway — there is no privilege boundary to defend here. It must name a
 * readable regular file.
 */
async function checkRecordingFile(
  baseDir: string,
  file: string,
): Promise<{ path: string; size: number; sha256: string }> {
  if (isAbsolute(file)) throw new RecordError('recording.file: must be a path relative to the import file');
  const path = resolve(baseDir, file);
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a file');
    // Hashing reads the whole file, which also proves it readable.
    return { path, size: info.size, sha256: await sha256File(path) };
  } catch {
    throw new RecordError(`recording.file: no readable file at ${JSON.stringify(file)}`);
  }
}

/** `<org>/<document>-<16 hex of sha256><.ext>`: every part is a checked id or hex, so the key is always valid. */
function recordingObjectKey(organizationId: string, recording: CheckedRecording): string {
  const extension = extname(recording.path).toLowerCase();
  const suffix = /^\.[a-z0-9]{1,10}$/.test(extension) ? extension : '';
  return `${organizationId}/${recording.documentId}-${recording.sha256.slice(0, 16)}${suffix}`;
}

interface KnownDocument {
  schemaType: string;
  encounterId: string;
}

async function lookup(db: Kysely<Database>, chunk: readonly Pending[]) {
  const organizationIds = new Set<string>();
  const patientIds = new Set<string>();
  const encounterIds = new Set<string>();
  const documentIds = new Set<string>();
  for (const { record } of chunk) {
    if (record.type === 'patient') organizationIds.add(record.row.organization_id);
    if (record.type === 'encounter') {
      organizationIds.add(record.row.organization_id);
      patientIds.add(record.row.patient_id);
    }
    if (record.type === 'document') encounterIds.add(record.row.encounter_id);
    if (record.type === 'transcript') documentIds.add(record.row.document_id);
    if (record.type === 'recording') documentIds.add(record.row.documentId);
  }

  const organizations = new Set<string>();
  const patients = new Map<string, string>();
  const encounters = new Map<string, string>();
  const documents = new Map<string, KnownDocument>();
  if (organizationIds.size > 0) {
    const rows = await db
      .selectFrom('organizations')
      .select('id')
      .where('id', 'in', [...organizationIds])
      .execute();
    for (const row of rows) organizations.add(row.id);
  }
  if (patientIds.size > 0) {
    const rows = await db
      .selectFrom('patients')
      .select(['id', 'organization_id'])
      .where('id', 'in', [...patientIds])
      .execute();
    for (const row of rows) patients.set(row.id, row.organization_id);
  }
  if (documentIds.size > 0) {
    const rows = await db
      .selectFrom('documents')
      .select(['id', 'schema_type', 'encounter_id'])
      .where('id', 'in', [...documentIds])
      .execute();
    for (const row of rows) {
      documents.set(row.id, { schemaType: row.schema_type, encounterId: row.encounter_id });
      // A recording's object key needs its organization, which lives on the document's encounter.
      encounterIds.add(row.encounter_id);
    }
  }
  if (encounterIds.size > 0) {
    const rows = await db
      .selectFrom('encounters')
      .select(['id', 'organization_id'])
      .where('id', 'in', [...encounterIds])
      .execute();
    for (const row of rows) encounters.set(row.id, row.organization_id);
  }
  return { organizations, patients, encounters, documents };
}

/**
 * Checks a chunk's references in line order, then writes it grouped by table, parents first. The maps start from
 * what the database holds and take each record as its line is passed, so a line sees exactly the earlier lines.
 */
async function settleChunk(db: Kysely<Database>, chunk: readonly Pending[], copies: CopySpool): Promise<void> {
  if (chunk.length === 0) return;
  const known = await lookup(db, chunk);
  const rows = {
    organizations: [] as OrganizationInput[],
    patients: [] as PatientRow[],
    encounters: [] as EncounterRow[],
    documents: [] as DocumentRow[],
    transcripts: [] as TranscriptRow[],
    recordings: [] as RecordingRow[],
  };
  const ambientDocument = (line: number, type: string, documentId: string): KnownDocument => {
    const document = known.documents.get(documentId);
    if (!document) throw new ImportError(line, `${type}.document_id: unknown document ${JSON.stringify(documentId)}`);
    if (document.schemaType !== 'ambient_transcript') {
      throw new ImportError(
        line,
        `${type}.document_id: document ${JSON.stringify(documentId)} is of schema_type ${JSON.stringify(document.schemaType)}, not "ambient_transcript"`,
      );
    }
    return document;
  };
  const organization = (line: number, type: string, organizationId: string) => {
    if (!known.organizations.has(organizationId)) {
      throw new ImportError(line, `${type}.organization_id: unknown organization ${JSON.stringify(organizationId)}`);
    }
  };

  for (const { line, record } of chunk) {
    switch (record.type) {
      case 'organization':
        known.organizations.add(record.row.id);
        rows.organizations.push(record.row);
        break;
      case 'patient':
        organization(line, 'patient', record.row.organization_id);
        known.patients.set(record.row.id, record.row.organization_id);
        rows.patients.push(record.row);
        break;
      case 'encounter': {
        const { row } = record;
        organization(line, 'encounter', row.organization_id);
        const patientOrganization = known.patients.get(row.patient_id);
        if (patientOrganization === undefined) {
          throw new ImportError(line, `encounter.patient_id: unknown patient ${JSON.stringify(row.patient_id)}`);
        }
        if (patientOrganization !== row.organization_id) {
          throw new ImportError(
            line,
            `encounter.patient_id: patient ${JSON.stringify(row.patient_id)} belongs to organization ${JSON.stringify(patientOrganization)}, not ${JSON.stringify(row.organization_id)}`,
          );
        }
        known.encounters.set(row.id, row.organization_id);
        rows.encounters.push(row);
        break;
      }
      case 'document': {
        const { row } = record;
        if (!known.encounters.has(row.encounter_id)) {
          throw new ImportError(line, `document.encounter_id: unknown encounter ${JSON.stringify(row.encounter_id)}`);
        }
        known.documents.set(row.id, { schemaType: row.schema_type, encounterId: row.encounter_id });
        rows.documents.push(row);
        break;
      }
      case 'transcript':
        ambientDocument(line, 'transcript', record.row.document_id);
        rows.transcripts.push(record.row);
        break;
      case 'recording': {
        const recording = record.row;
        const document = ambientDocument(line, 'recording', recording.documentId);
        const objectKey = recordingObjectKey(known.encounters.get(document.encounterId)!, recording);
        rows.recordings.push({
          document_id: recording.documentId,
          object_key: objectKey,
          content_type: recording.contentType,
          byte_size: recording.byteSize,
        });
        copies.add({ objectKey, path: recording.path, contentType: recording.contentType });
        break;
      }
    }
  }

  await upsertOrganizations(db, rows.organizations);
  await upsertPatients(db, rows.patients);
  await upsertEncounters(db, rows.encounters);
  await upsertDocuments(db, rows.documents);
  await upsertTranscripts(db, rows.transcripts);
  await upsertRecordings(db, rows.recordings);
}

/** Copy jobs wait in a temporary file until the whole import has validated, so memory stays flat here too. */
class CopySpool {
  private directory: string | null = null;
  private stream: ReturnType<typeof createWriteStream> | null = null;
  count = 0;

  async open(): Promise<void> {
    this.directory = await mkdtemp(join(tmpdir(), 'charthero-import-'));
  }

  add(job: CopyJob): void {
    this.stream ??= createWriteStream(join(this.directory!, 'copies.ndjson'));
    this.stream.write(`${JSON.stringify(job)}\n`);
    this.count++;
  }

  async copyAll(storage: AudioStorage): Promise<void> {
    if (!this.stream) return;
    this.stream.end();
    await once(this.stream, 'finish');
    for await (const { text } of readLines(join(this.directory!, 'copies.ndjson'))) {
      const job = JSON.parse(text) as CopyJob;
      await storage.putFile(job.objectKey, job.path, job.contentType);
    }
  }

  async dispose(): Promise<void> {
    this.stream?.destroy();
    if (this.directory) await rm(this.directory, { recursive: true, force: true });
  }
}

function emptySummary(): ImportSummary {
  const summary = { lines: 0, records: 0 } as ImportSummary;
  for (const type of RECORD_TYPES) summary[type] = 0;
  return summary;
}

/**
 * Imports NDJSON lines (from a file, or generated by the seed) in one transaction. `baseDir` resolves recording
 * `file` paths. Throws ImportError for the first bad line; the database is then unchanged.
 */
export async function importLines(
  db: Kysely<Database>,
  storage: AudioStorage,
  lines: AsyncIterable<SourceLine>,
  baseDir: string,
): Promise<ImportSummary> {
  const summary = emptySummary();
  const copies = new CopySpool();
  await copies.open();
  try {
    await db.transaction().execute(async (trx) => {
      let chunk: Pending[] = [];
      for await (const { line, text } of lines) {
        summary.lines = line;
        if (text.trim() === '') continue;
        let pending: Pending;
        try {
          pending = await parseLine(line, text, baseDir);
        } catch (error) {
          // An earlier line of this chunk may hold a reference error, and the first bad line is the one reported.
          await settleChunk(trx, chunk, copies);
          throw error;
        }
        chunk.push(pending);
        summary.records++;
        summary[pending.record.type]++;
        if (chunk.length >= BATCH_ROWS) {
          await settleChunk(trx, chunk, copies);
          chunk = [];
        }
      }
      await settleChunk(trx, chunk, copies);
      await copies.copyAll(storage);
    });
  } finally {
    await copies.dispose();
  }
  return summary;
}

async function parseLine(line: number, text: string, baseDir: string): Promise<Pending> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ImportError(line, 'not valid JSON');
  }
  try {
    const record = parseRecord(value);
    if (record.type !== 'recording') return { line, record };
    const file = await checkRecordingFile(baseDir, record.row.file);
    return {
      line,
      record: {
        type: 'recording',
        row: {
          documentId: record.row.documentId,
          path: file.path,
          contentType: record.row.contentType,
          byteSize: file.size,
          sha256: file.sha256,
        },
      },
    };
  } catch (error) {
    if (error instanceof RecordError) throw new ImportError(line, error.message);
    throw error;
  }
}

/** `charthero import FILE`: recording paths are relative to the file's folder. */
export async function importNdjsonFile(
  db: Kysely<Database>,
  storage: AudioStorage,
  path: string,
): Promise<ImportSummary> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a file');
  } catch {
    throw new Error(`cannot read ${path}`);
  }
  return importLines(db, storage, readLines(path), dirname(resolve(path)));
}
