/**
 * Streaming, all-or-nothing NDJSON import (docs/import.md).
 *
 * - Lines are read one at a time and handled in chunks of BATCH_ROWS records, so memory stays flat whatever the
 *   file size: references and ownership are checked against the chunk itself plus one `IN (…)` query per table
 *   (src/store/clinical-owners.ts), and earlier chunks are already written to the (uncommitted) transaction, which
 *   sees its own writes.
 * - The whole file runs in one database transaction; the first bad line throws `line N: …` and rolls it back.
 * - A record never changes organization: a patient or encounter id that exists under another organization, or a
 *   document that would hang under another organization's encounter, is a bad line. Transcripts and recordings are
 *   keyed by their document, so they always stay with it.
 * - Recording files are checked and copied into a private spool as their line is read (recording-file.ts); the
 *   spool is copied into storage only after every line has been validated and written, still inside the
 *   transaction, so a copy failure rolls the rows back too. Object keys carry a hash of the content, so a copy never
 *   replaces bytes an existing recording row points at: a failed import can leave unreferenced objects behind
 *   (harmless, overwritten with identical bytes by a retry) but never changes what is served.
 */
import { once } from 'node:events';
import { constants, createWriteStream } from 'node:fs';
import { type FileHandle, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { AudioStorage } from '../media/storage.js';
import { parseJson } from '../parse-json.js';
import { rebuildEncounterItems } from '../resources/encounter-items.js';
import {
  type DocumentRow,
  type EncounterRow,
  encounterIdsOfPatients,
  type PatientRow,
  type RecordingRow,
  type TranscriptRow,
} from '../store/clinical.js';
import {
  type DocumentPlacement,
  documentPlacements,
  existingOrganizationIds,
  ownerOrganizations,
} from '../store/clinical-owners.js';
import {
  BATCH_ROWS,
  type OrganizationInput,
  upsertDocuments,
  upsertEncounters,
  upsertOrganizations,
  upsertPatients,
  upsertRecordings,
  upsertTranscripts,
} from '../store/clinical-upserts.js';
import { inTransaction } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { createTranscriptReadyEvents } from '../webhooks/outbox.js';
import { ImportError } from './import-error.js';
import { MAX_JSON_DEPTH, nestsDeeperThan, readNdjsonLines, type SourceLine } from './ndjson-lines.js';
import { captureRecordingFile, type ImportFolder, importFolder } from './recording-file.js';
import { type ParsedRecord, parseRecord, RECORD_TYPES, RecordError, type RecordType } from './records.js';

export { ImportError } from './import-error.js';
export type { SourceLine } from './ndjson-lines.js';

export type ImportSummary = { lines: number; records: number } & Record<RecordType, number>;

/** A recording whose file has been checked and copied into the spool; its object key needs its organization. */
interface CapturedRecording {
  documentId: string;
  /** The extension of `file` as written (it ends the object key). */
  extension: string;
  spoolPath: string;
  contentType: string;
  byteSize: number;
  sha256: string;
}

/** A line that passed its own checks; recordings carry their captured file instead of the path as written. */
interface Pending {
  line: number;
  record: Exclude<ParsedRecord, { type: 'recording' }> | { type: 'recording'; row: CapturedRecording };
}

interface CopyJob {
  objectKey: string;
  spoolPath: string;
  contentType: string;
}

/** `<org>/<document>-<16 hex of sha256><.ext>`: every part is a checked id or hex, so the key is always valid. */
function recordingObjectKey(organizationId: string, recording: CapturedRecording): string {
  const extension = recording.extension.toLowerCase();
  const suffix = /^\.[a-z0-9]{1,10}$/.test(extension) ? extension : '';
  return `${organizationId}/${recording.documentId}-${recording.sha256.slice(0, 16)}${suffix}`;
}

/** What the database holds about the ids a chunk names: one query per table. */
async function lookup(db: Kysely<Database>, chunk: readonly Pending[]) {
  const organizationIds = new Set<string>();
  const patientIds = new Set<string>();
  const encounterIds = new Set<string>();
  const documentIds = new Set<string>();
  /** A patient or encounter: checkOwner needs its organization and the owner its id already has. */
  const addOwned = (ids: Set<string>, row: { id: string; organization_id: string }) => {
    organizationIds.add(row.organization_id);
    ids.add(row.id);
  };
  for (const { record } of chunk) {
    switch (record.type) {
      case 'organization':
        break;
      case 'patient':
        addOwned(patientIds, record.row);
        break;
      case 'encounter':
        addOwned(encounterIds, record.row);
        patientIds.add(record.row.patient_id);
        break;
      case 'document':
        encounterIds.add(record.row.encounter_id);
        documentIds.add(record.row.id);
        break;
      case 'transcript':
        documentIds.add(record.row.document_id);
        break;
      case 'recording':
        documentIds.add(record.row.documentId);
        break;
    }
  }
  const documents = await documentPlacements(db, documentIds);
  // A document's organization lives on its encounter: needed for object keys and for the ownership check.
  for (const document of documents.values()) encounterIds.add(document.encounterId);
  return {
    organizations: await existingOrganizationIds(db, organizationIds),
    patients: await ownerOrganizations(db, 'patients', patientIds),
    encounters: await ownerOrganizations(db, 'encounters', encounterIds),
    documents,
  };
}

interface ChunkRows {
  organizations: OrganizationInput[];
  patients: PatientRow[];
  encounters: EncounterRow[];
  documents: DocumentRow[];
  transcripts: TranscriptRow[];
  recordings: RecordingRow[];
}

/** Writes a checked chunk, parents first, so foreign keys hold after every statement. */
async function writeChunk(trx: Kysely<Database>, rows: ChunkRows): Promise<void> {
  await upsertOrganizations(trx, rows.organizations);
  await upsertPatients(trx, rows.patients);
  await upsertEncounters(trx, rows.encounters);
  await upsertDocuments(trx, rows.documents);
  await upsertTranscripts(trx, rows.transcripts);
  await upsertRecordings(trx, rows.recordings);
}

const foreign = (type: string, id: string) =>
  `${type}.id: ${type} ${JSON.stringify(id)} already exists under another organization`;

/**
 * Checks a chunk's references and ownership in line order, then writes it grouped by table. The maps start from
 * what the database holds and take each record as its line is passed, so a line sees exactly the earlier lines.
 * Then the list item of every encounter the chunk touched (itself, its patient, or one of its documents) is written
 * again, in the same transaction, so a stored item never lags its rows (src/resources/encounter-items.ts).
 */
async function settleChunk(db: Kysely<Database>, chunk: readonly Pending[], copies: CopySpool): Promise<void> {
  if (chunk.length === 0) return;
  const known = await lookup(db, chunk);
  const movedFrom: string[] = [];
  const rows: ChunkRows = {
    organizations: [],
    patients: [],
    encounters: [],
    documents: [],
    transcripts: [],
    recordings: [],
  };
  const ambientDocument = (line: number, type: string, documentId: string): DocumentPlacement => {
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
  /** A patient or encounter names a known organization and stays with the one it already has, if any. */
  const checkOwner = (line: number, type: 'patient' | 'encounter', id: string, organizationId: string) => {
    if (!known.organizations.has(organizationId)) {
      throw new ImportError(line, `${type}.organization_id: unknown organization ${JSON.stringify(organizationId)}`);
    }
    const owner = (type === 'patient' ? known.patients : known.encounters).get(id);
    if (owner !== undefined && owner !== organizationId) throw new ImportError(line, foreign(type, id));
  };

  for (const { line, record } of chunk) {
    switch (record.type) {
      case 'organization':
        known.organizations.add(record.row.id);
        rows.organizations.push(record.row);
        break;
      case 'patient': {
        const { row } = record;
        checkOwner(line, 'patient', row.id, row.organization_id);
        known.patients.set(row.id, row.organization_id);
        rows.patients.push(row);
        break;
      }
      case 'encounter': {
        const { row } = record;
        checkOwner(line, 'encounter', row.id, row.organization_id);
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
        const organizationId = known.encounters.get(row.encounter_id);
        if (organizationId === undefined) {
          throw new ImportError(line, `document.encounter_id: unknown encounter ${JSON.stringify(row.encounter_id)}`);
        }
        const existing = known.documents.get(row.id);
        if (existing && known.encounters.get(existing.encounterId) !== organizationId) {
          throw new ImportError(line, foreign('document', row.id));
        }
        // A document moved to another encounter of its organization leaves the old one's item too.
        if (existing) movedFrom.push(existing.encounterId);
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
        copies.add({ objectKey, spoolPath: recording.spoolPath, contentType: recording.contentType });
        break;
      }
    }
  }
  await writeChunk(db, rows);
  await rebuildEncounterItems(db, [
    ...rows.encounters.map((row) => row.id),
    ...rows.documents.map((row) => row.encounter_id),
    ...movedFrom,
    ...(await encounterIdsOfPatients(
      db,
      rows.patients.map((row) => row.id),
    )),
  ]);
}

/**
 * The import's private folder (mode 0700, from mkdtemp): the recordings' bytes as read from their checked handles,
 * and the copy jobs, which wait there until the whole import has validated, so memory stays flat too.
 */
class CopySpool {
  private directory: string | null = null;
  private stream: ReturnType<typeof createWriteStream> | null = null;
  private captured = 0;
  count = 0;

  async open(): Promise<void> {
    this.directory = await mkdtemp(join(tmpdir(), 'charthero-import-'));
  }

  /** A new path in the spool for one recording's bytes. */
  nextCapturePath(): string {
    return join(this.directory!, `recording-${++this.captured}`);
  }

  add(job: CopyJob): void {
    this.stream ??= createWriteStream(join(this.directory!, 'copies.ndjson'), { mode: 0o600 });
    this.stream.write(`${JSON.stringify(job)}\n`);
    this.count++;
  }

  async copyAll(storage: AudioStorage): Promise<void> {
    if (!this.stream) return;
    this.stream.end();
    await once(this.stream, 'finish');
    const handle = await open(join(this.directory!, 'copies.ndjson'), 'r');
    try {
      for await (const { text } of readNdjsonLines(handle)) {
        const job = JSON.parse(text) as CopyJob;
        await storage.putFile(job.objectKey, job.spoolPath, job.contentType);
      }
    } finally {
      await handle.close();
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
 * `file` paths, and no recording may resolve outside it. Throws ImportError for the first bad line; the database is
 * then unchanged.
 */
export async function importLines(
  db: Kysely<Database>,
  storage: AudioStorage,
  lines: AsyncIterable<SourceLine>,
  baseDir: string,
): Promise<ImportSummary> {
  const summary = emptySummary();
  const folder = await importFolder(baseDir);
  const copies = new CopySpool();
  await copies.open();
  try {
    await inTransaction(db, async (trx) => {
      const source = lines[Symbol.asyncIterator]();
      try {
        await importChunks(trx, source, summary, folder, copies);
      } finally {
        await source.return?.();
      }
      await copies.copyAll(storage);
      await createTranscriptReadyEvents(trx);
    });
  } finally {
    await copies.dispose();
  }
  return summary;
}

/** Reads, checks and writes every line in chunks; the caller's transaction holds it all. */
async function importChunks(
  trx: Kysely<Database>,
  source: AsyncIterator<SourceLine>,
  summary: ImportSummary,
  folder: ImportFolder,
  copies: CopySpool,
): Promise<void> {
  let chunk: Pending[] = [];
  for (;;) {
    let pending: Pending | null;
    try {
      pending = await nextPending(source, summary, folder, copies);
    } catch (error) {
      // An earlier line of this chunk may hold a reference error, and the first bad line is the one reported.
      await settleChunk(trx, chunk, copies);
      throw error;
    }
    if (pending === null) break;
    chunk.push(pending);
    if (chunk.length >= BATCH_ROWS) {
      await settleChunk(trx, chunk, copies);
      chunk = [];
    }
  }
  await settleChunk(trx, chunk, copies);
}

/** The next non-blank line, checked on its own and counted; null at the end. */
async function nextPending(
  source: AsyncIterator<SourceLine>,
  summary: ImportSummary,
  folder: ImportFolder,
  copies: CopySpool,
): Promise<Pending | null> {
  for (;;) {
    const next = await source.next();
    if (next.done) return null;
    const { line, text } = next.value;
    summary.lines = line;
    if (text.trim() === '') continue;
    const pending = await parseLine(line, text, folder, copies);
    summary.records++;
    summary[pending.record.type]++;
    return pending;
  }
}

async function parseLine(line: number, text: string, folder: ImportFolder, copies: CopySpool): Promise<Pending> {
  if (nestsDeeperThan(text, MAX_JSON_DEPTH))
    throw new ImportError(line, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  const value = parseJson(text, () => new ImportError(line, 'not valid JSON'));
  try {
    const record = parseRecord(value);
    if (record.type !== 'recording') return { line, record };
    const spoolPath = copies.nextCapturePath();
    const captured = await captureRecordingFile(folder, record.row.file, spoolPath);
    return {
      line,
      record: {
        type: 'recording',
        row: {
          documentId: record.row.documentId,
          extension: extname(record.row.file),
          spoolPath,
          contentType: record.row.contentType,
          byteSize: captured.byteSize,
          sha256: captured.sha256,
        },
      },
    };
  } catch (error) {
    if (error instanceof RecordError) throw new ImportError(line, error.message);
    throw error;
  }
}

/**
 * `charthero import FILE`: recording paths are relative to the file's folder. The file is read from the handle
 * that was checked to be a regular file (opened without blocking, so a FIFO is refused rather than waited on).
 */
export async function importNdjsonFile(
  db: Kysely<Database>,
  storage: AudioStorage,
  path: string,
): Promise<ImportSummary> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    throw new Error(`cannot read ${path}`);
  }
  try {
    if (!(await handle.stat()).isFile()) throw new Error(`cannot read ${path}`);
    return await importLines(db, storage, readNdjsonLines(handle), dirname(resolve(path)));
  } finally {
    await handle.close();
  }
}
