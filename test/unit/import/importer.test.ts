import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ImportError, importLines, importNdjsonFile, type SourceLine } from '../../../src/import/importer.js';
import type { AudioStorage } from '../../../src/media/storage.js';
import { openStore, type Store } from '../../../src/store/db.js';
import { migrate } from '../../../src/store/migrate.js';
import { type FreshDatabase, freshDatabase } from '../../support/database.js';

/** Storage that keeps objects in memory and can be told to fail. */
function memoryStorage() {
  const objects = new Map<string, { bytes: Buffer; contentType: string }>();
  let failing = false;
  const storage: AudioStorage & { objects: typeof objects; fail(on: boolean): void } = {
    objects,
    fail(on) {
      failing = on;
    },
    async putFile(objectKey, sourcePath, contentType) {
      if (failing) throw new Error('storage is down');
      objects.set(objectKey, { bytes: readFileSync(sourcePath), contentType });
    },
    async head(objectKey) {
      const object = objects.get(objectKey);
      return object ? { size: object.bytes.length, contentType: object.contentType } : null;
    },
    async issueUrl() {
      throw new Error('not used');
    },
    async close() {},
  };
  return storage;
}

let dir: string;
let database: FreshDatabase;
let store: Store;
let storage: ReturnType<typeof memoryStorage>;

const org = (id = 'org_1') => ({ type: 'organization', id, name: id });
const patient = (id: string, organization = 'org_1') => ({ type: 'patient', id, organization_id: organization });
const encounter = (id: string, patientId: string, organization = 'org_1') => ({
  type: 'encounter',
  id,
  organization_id: organization,
  patient_id: patientId,
  encounter_type: 'ambient',
  status: 'completed',
  origin: 'clinical',
  available: true,
  created_at: '2026-05-25T14:00:00Z',
  updated_at: '2026-05-25T14:00:00Z',
});
const document = (id: string, encounterId: string, schemaType = 'ambient_transcript') => ({
  type: 'document',
  id,
  encounter_id: encounterId,
  schema_type: schemaType,
  available: true,
  ...(schemaType === 'document' ? { content: { format: 'markdown', text: 'x' } } : {}),
  created_at: '2026-05-25T14:00:00Z',
  updated_at: '2026-05-25T14:00:00Z',
});
const transcript = (documentId: string) => ({ type: 'transcript', document_id: documentId, provider: 'p', turns: [] });
const recording = (documentId: string, file: string) => ({
  type: 'recording',
  document_id: documentId,
  file,
  content_type: 'audio/wav',
});

async function* lines(records: readonly (object | string)[]): AsyncGenerator<SourceLine> {
  let line = 0;
  for (const record of records)
    yield { line: ++line, text: typeof record === 'string' ? record : JSON.stringify(record) };
}

const run = (records: readonly (object | string)[]) => importLines(store.db, storage, lines(records), dir);

async function failure(records: readonly (object | string)[]): Promise<string> {
  try {
    await run(records);
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

async function counts() {
  const result: Record<string, number> = {};
  for (const table of ['organizations', 'patients', 'encounters', 'documents', 'transcripts', 'recordings'] as const) {
    const row = await store.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    result[table] = Number(row.n);
  }
  return result;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'charthero-import-'));
  mkdirSync(join(dir, 'audio'));
  mkdirSync(join(dir, 'nested'));
  writeFileSync(join(dir, 'audio', 'a.wav'), 'RIFF-a');
  writeFileSync(join(dir, 'audio', 'b.wav'), 'RIFF-b');
  database = await freshDatabase(dir);
  store = openStore(database.url);
  await migrate(store);
});
afterAll(async () => {
  await store?.close();
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  storage = memoryStorage();
});

describe('references', () => {
  it('a line may refer to any earlier line, across batch boundaries', async () => {
    const patients = Array.from({ length: 1100 }, (_, i) => patient(`pat_${i}`));
    const encounters = Array.from({ length: 1100 }, (_, i) => encounter(`enc_${i}`, `pat_${1099 - i}`));
    const summary = await run([org(), ...patients, ...encounters]);
    expect(summary).toMatchObject({ lines: 2201, records: 2201, organization: 1, patient: 1100, encounter: 1100 });
    expect(await counts()).toMatchObject({ organizations: 1, patients: 1100, encounters: 1100 });
  });

  it('a line may not refer to a later one', async () => {
    expect(await failure([org('org_2'), encounter('enc_x', 'pat_x', 'org_2'), patient('pat_x', 'org_2')])).toBe(
      'line 2: encounter.patient_id: unknown patient "pat_x"',
    );
  });

  it('data already in the database counts as earlier', async () => {
    await run([document('doc_1', 'enc_1'), transcript('doc_1')]);
    expect(await counts()).toMatchObject({ documents: 1, transcripts: 1 });
  });

  it('an encounter’s patient must belong to the same organization', async () => {
    expect(await failure([org('org_2'), patient('pat_o2', 'org_2'), encounter('enc_2', 'pat_o2', 'org_1')])).toBe(
      'line 3: encounter.patient_id: patient "pat_o2" belongs to organization "org_2", not "org_1"',
    );
  });

  it('names each kind of unknown reference', async () => {
    expect(await failure([patient('pat_9', 'org_9')])).toBe(
      'line 1: patient.organization_id: unknown organization "org_9"',
    );
    expect(await failure([encounter('enc_9', 'pat_1', 'org_9')])).toBe(
      'line 1: encounter.organization_id: unknown organization "org_9"',
    );
    expect(await failure([document('doc_9', 'enc_none')])).toBe(
      'line 1: document.encounter_id: unknown encounter "enc_none"',
    );
    expect(await failure([transcript('doc_9')])).toBe('line 1: transcript.document_id: unknown document "doc_9"');
    expect(await failure([recording('doc_9', 'audio/a.wav')])).toBe(
      'line 1: recording.document_id: unknown document "doc_9"',
    );
  });

  it('transcripts and recordings need an ambient_transcript document, as of that line', async () => {
    expect(await failure([document('doc_note', 'enc_1', 'document'), transcript('doc_note')])).toBe(
      'line 2: transcript.document_id: document "doc_note" is of schema_type "document", not "ambient_transcript"',
    );
    // doc_1 is an ambient transcript in the database; re-typed earlier in the same file, the new type counts.
    expect(await failure([document('doc_1', 'enc_1', 'intake_form'), transcript('doc_1')])).toBe(
      'line 2: transcript.document_id: document "doc_1" is of schema_type "intake_form", not "ambient_transcript"',
    );
  });
});

describe('no record changes organization', () => {
  it('refuses a patient, encounter or document id that exists under another organization', async () => {
    await run([
      org('org_own'),
      org('org_other'),
      patient('pat_own', 'org_own'),
      encounter('enc_own', 'pat_own', 'org_own'),
    ]);
    await run([
      document('doc_own', 'enc_own'),
      patient('pat_other', 'org_other'),
      encounter('enc_other', 'pat_other', 'org_other'),
    ]);
    expect(await failure([patient('pat_own', 'org_other')])).toBe(
      'line 1: patient.id: patient "pat_own" already exists under another organization',
    );
    expect(await failure([encounter('enc_own', 'pat_other', 'org_other')])).toBe(
      'line 1: encounter.id: encounter "enc_own" already exists under another organization',
    );
    expect(await failure([document('doc_own', 'enc_other')])).toBe(
      'line 1: document.id: document "doc_own" already exists under another organization',
    );
  });

  it('within its own organization a record may move (a document to another encounter)', async () => {
    await run([
      patient('pat_own_2', 'org_own'),
      encounter('enc_own_2', 'pat_own_2', 'org_own'),
      document('doc_own', 'enc_own_2'),
    ]);
    const row = await store.db
      .selectFrom('documents')
      .select('encounter_id')
      .where('id', '=', 'doc_own')
      .executeTakeFirstOrThrow();
    expect(row.encounter_id).toBe('enc_own_2');
  });

  it('an earlier line of the same file counts, in the same batch and across batches', async () => {
    expect(await failure([org('org_x'), patient('pat_fresh', 'org_x'), patient('pat_fresh', 'org_other')])).toBe(
      'line 3: patient.id: patient "pat_fresh" already exists under another organization',
    );
    const filler = Array.from({ length: 600 }, (_, i) => patient(`pat_fill_${i}`, 'org_x'));
    expect(
      await failure([
        org('org_x'),
        patient('pat_fresh', 'org_x'),
        encounter('enc_fresh', 'pat_fresh', 'org_x'),
        ...filler,
        encounter('enc_fresh', 'pat_other', 'org_other'),
      ]),
    ).toBe('line 604: encounter.id: encounter "enc_fresh" already exists under another organization');
  });
});

describe('all or nothing', () => {
  it('reports the first bad line even when a later line of the same batch fails its own checks first', async () => {
    expect(await failure([org('org_3'), patient('pat_3', 'org_nope'), '{oops'])).toBe(
      'line 2: patient.organization_id: unknown organization "org_nope"',
    );
  });

  it('keeps nothing from a file that fails, however far in', async () => {
    const before = await counts();
    const many = Array.from({ length: 1600 }, (_, i) => patient(`pat_late_${i}`));
    const error = await run([...many, { ...patient('pat_bad'), date_of_birth: 'yesterday' }]).catch((e) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect(error).toMatchObject({ line: 1601, detail: 'patient.date_of_birth: not a valid date (YYYY-MM-DD)' });
    expect(await counts()).toEqual(before);
  });

  it('copies no audio when validation fails, and rolls the rows back when a copy fails', async () => {
    const before = await counts();
    expect(await failure([document('doc_r', 'enc_1'), recording('doc_r', 'audio/a.wav'), transcript('doc_none')])).toBe(
      'line 3: transcript.document_id: unknown document "doc_none"',
    );
    expect(storage.objects.size).toBe(0);
    storage.fail(true);
    expect(await failure([document('doc_r', 'enc_1'), recording('doc_r', 'audio/a.wav')])).toBe('storage is down');
    expect(await counts()).toEqual(before);
  });

  it('treats blank lines as nothing, but counts them', async () => {
    expect(await run(['', org('org_blank'), '  ', ''])).toMatchObject({ lines: 4, records: 1, organization: 1 });
  });
});

describe('upserts', () => {
  it('the last record for an id wins, within one batch and across imports', async () => {
    await run([org('org_up'), patient('pat_up', 'org_up'), { ...patient('pat_up', 'org_up'), first_name: 'Second' }]);
    const row = await store.db.selectFrom('patients').selectAll().where('id', '=', 'pat_up').executeTakeFirstOrThrow();
    expect(row.first_name).toBe('Second');
    await run([{ ...patient('pat_up', 'org_up'), first_name: null, last_name: 'Third' }]);
    const again = await store.db
      .selectFrom('patients')
      .selectAll()
      .where('id', '=', 'pat_up')
      .executeTakeFirstOrThrow();
    expect(again).toMatchObject({ first_name: null, last_name: 'Third' });
  });
});

describe('recordings', () => {
  it('are copied under <organization>/<document>-<content hash><ext> with their size', async () => {
    await run([document('doc_rec', 'enc_1'), recording('doc_rec', 'audio/a.wav')]);
    const row = await store.db
      .selectFrom('recordings')
      .selectAll()
      .where('document_id', '=', 'doc_rec')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ content_type: 'audio/wav', byte_size: 6 });
    expect(row.object_key).toMatch(/^org_1\/doc_rec-[0-9a-f]{16}\.wav$/);
    expect(storage.objects.get(row.object_key)?.bytes.toString()).toBe('RIFF-a');
  });

  it('a new file gets a new key, so a failed import never changes bytes that are being served', async () => {
    const old = await store.db
      .selectFrom('recordings')
      .selectAll()
      .where('document_id', '=', 'doc_rec')
      .executeTakeFirstOrThrow();
    await run([recording('doc_rec', 'audio/b.wav')]);
    const updated = await store.db
      .selectFrom('recordings')
      .selectAll()
      .where('document_id', '=', 'doc_rec')
      .executeTakeFirstOrThrow();
    expect(updated.object_key).not.toBe(old.object_key);
    await run([recording('doc_rec', 'nested/../audio/b.wav')]);
    const same = await store.db
      .selectFrom('recordings')
      .selectAll()
      .where('document_id', '=', 'doc_rec')
      .executeTakeFirstOrThrow();
    expect(same.object_key).toBe(updated.object_key);
  });

  it('need a readable file given relative to the import file', async () => {
    expect(await failure([recording('doc_rec', join(dir, 'audio', 'a.wav'))])).toBe(
      'line 1: recording.file: must be a path relative to the import file',
    );
    expect(await failure([recording('doc_rec', 'nested')])).toBe(
      'line 1: recording.file: "nested" is not a regular file',
    );
    expect(await failure([recording('doc_rec', 'audio/missing.wav')])).toBe(
      'line 1: recording.file: no readable file at "audio/missing.wav"',
    );
  });

  it('importNdjsonFile resolves them against the file’s folder', async () => {
    const file = join(dir, 'import.ndjson');
    writeFileSync(file, `${JSON.stringify(recording('doc_rec', 'nested/../audio/a.wav'))}\r\n`);
    expect(await importNdjsonFile(store.db, storage, file)).toMatchObject({ records: 1, recording: 1 });
  });
});
