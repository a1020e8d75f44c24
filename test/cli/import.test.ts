import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/seed/wav.js';
import { snapshotDatabase } from '../support/database.js';
import { type CliSandbox, cliSandbox, ensureBuilt } from './cli.js';

let cli: CliSandbox;
let folder: string;

const ORG = { type: 'organization', id: 'org_imp', name: 'Import Clinic' };
const PATIENT = {
  type: 'patient',
  id: 'pat_1',
  organization_id: 'org_imp',
  first_name: 'Ada',
  last_name: 'Sample',
  date_of_birth: '1970-01-01',
};
const ENCOUNTER = {
  type: 'encounter',
  id: 'enc_1',
  organization_id: 'org_imp',
  patient_id: 'pat_1',
  encounter_type: 'ambient',
  status: 'completed',
  origin: 'clinical',
  available: true,
  created_at: '2026-05-25T14:00:00Z',
  updated_at: '2026-05-25T15:00:00+01:00',
  date_of_service: '2026-05-25T13:30:00Z',
};
const NOTE = {
  type: 'document',
  id: 'doc_note',
  encounter_id: 'enc_1',
  schema_type: 'document',
  title: 'SOAP note',
  status: null,
  workflow_variant: null,
  available: true,
  content: { format: 'markdown', text: '# Note' },
  created_at: '2026-05-25T14:05:00Z',
  updated_at: '2026-05-25T14:05:00Z',
};
const AMBIENT = {
  type: 'document',
  id: 'doc_amb',
  encounter_id: 'enc_1',
  schema_type: 'ambient_transcript',
  title: 'Transcript',
  status: 'finalized',
  audio_duration_seconds: 842.4,
  available: true,
  created_at: '2026-05-25T14:01:00Z',
  updated_at: '2026-05-25T14:01:00Z',
};
const TRANSCRIPT = {
  type: 'transcript',
  document_id: 'doc_amb',
  provider: 'deepgram',
  audio_duration_seconds: 842.4,
  finalized_at: '2026-05-25T15:00:00Z',
  turns: [
    { speaker: 'clinician', start: 0, end: 1.6, text: 'Good morning.' },
    { speaker: 'patient', start: 1.8, end: 3, text: 'Morning.' },
  ],
};
const RECORDING = { type: 'recording', document_id: 'doc_amb', file: 'audio/visit.wav', content_type: 'audio/wav' };
const VALID = [ORG, PATIENT, ENCOUNTER, NOTE, AMBIENT, TRANSCRIPT, RECORDING];

function writeImport(name: string, lines: readonly (object | string)[]): string {
  const file = join(folder, name);
  writeFileSync(file, `${lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n')}\n`);
  return file;
}

function storedObjects(): string[] {
  const root = join(cli.dir, 'audio');
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : [relative(root, join(dir, entry.name))],
    );
  try {
    return walk(root).sort();
  } catch {
    return [];
  }
}

/** Every row of every table: a refused import must leave all of them as they were, not just their counts. */
const databaseRows = () => cli.withDb((db) => snapshotDatabase(db));

const WAV = encodeWav(new Int16Array(800).map((_, i) => Math.round(Math.sin(i / 3) * 8000)));

beforeAll(async () => {
  ensureBuilt();
  cli = await cliSandbox();
  folder = join(cli.dir, 'import');
  mkdirSync(join(folder, 'audio'), { recursive: true });
  writeFileSync(join(folder, 'audio', 'visit.wav'), WAV);
  // A world-readable source: the stored copy must still be the owner's only.
  chmodSync(join(folder, 'audio', 'visit.wav'), 0o644);
});
afterAll(() => cli?.close());

describe('charthero import: success and re-import', () => {
  it('imports a complete file and copies the recording into audio storage', async () => {
    const file = writeImport('valid.ndjson', VALID);
    expect(cli.json(['import', file])).toEqual({
      file,
      lines: 7,
      records: 7,
      organizations: 1,
      patients: 1,
      encounters: 1,
      documents: 2,
      transcripts: 1,
      recordings: 1,
    });
    expect(await cli.counts()).toEqual({
      organizations: 1,
      patients: 1,
      encounters: 1,
      documents: 2,
      transcripts: 1,
      recordings: 1,
    });
    const recording = await cli.withDb((db) => db.selectFrom('recordings').selectAll().executeTakeFirstOrThrow());
    expect(recording).toEqual({
      document_id: 'doc_amb',
      object_key: expect.stringMatching(/^org_imp\/doc_amb-[0-9a-f]{16}\.wav$/),
      content_type: 'audio/wav',
      byte_size: WAV.length,
    });
    expect(readFileSync(join(cli.dir, 'audio', recording.object_key))).toEqual(WAV);
    const encounter = await cli.withDb((db) => db.selectFrom('encounters').selectAll().executeTakeFirstOrThrow());
    expect(encounter).toMatchObject({
      created_at_ms: Date.parse('2026-05-25T14:00:00Z'),
      updated_at_ms: Date.parse('2026-05-25T14:00:00Z'),
      available: 1,
      origin: 'clinical',
    });
    // Imported organizations start closed: opening access is an operator decision.
    const org = await cli.withDb((db) => db.selectFrom('organizations').selectAll().executeTakeFirstOrThrow());
    expect(org).toMatchObject({ allowlisted: 0, api_keys_enabled: 1, enabled_routes: '' });
  });

  it('creates audio objects readable by their owner only (files 0600, folders 0700)', () => {
    const root = join(cli.dir, 'audio');
    const modes = (path: string) => statSync(path).mode & 0o777;
    expect(modes(root)).toBe(0o700);
    expect(modes(join(root, 'org_imp'))).toBe(0o700);
    const files = storedObjects();
    expect(files).toEqual([
      expect.stringMatching(/^org_imp\/doc_amb-[0-9a-f]{16}\.wav$/),
      expect.stringMatching(/\.wav\.meta\.json$/),
    ]);
    for (const file of files) expect(modes(join(root, file))).toBe(0o600);
  });

  it('re-imports by id: rows are updated, not duplicated, and access switches are kept', async () => {
    cli.json(['org', 'allowlist', 'org_imp']);
    const file = writeImport('update.ndjson', [
      { ...ORG, name: 'Renamed Clinic' },
      { ...NOTE, title: 'Amended note', available: false },
      { ...ENCOUNTER, status: 'in_progress', date_of_service: null },
    ]);
    const plain = cli.run(['import', file]);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toBe('');
    expect(plain.stdout).toBe(
      `imported 3 records from ${file}\norganizations=1  patients=0  encounters=1  documents=1  transcripts=0  recordings=0\n`,
    );
    expect(await cli.counts()).toEqual({
      organizations: 1,
      patients: 1,
      encounters: 1,
      documents: 2,
      transcripts: 1,
      recordings: 1,
    });
    const [org, note, encounter] = await cli.withDb((db) =>
      Promise.all([
        db.selectFrom('organizations').selectAll().executeTakeFirstOrThrow(),
        db.selectFrom('documents').selectAll().where('id', '=', 'doc_note').executeTakeFirstOrThrow(),
        db.selectFrom('encounters').selectAll().executeTakeFirstOrThrow(),
      ]),
    );
    expect(org).toMatchObject({ name: 'Renamed Clinic', allowlisted: 1 });
    expect(note).toMatchObject({ title: 'Amended note', available: 0 });
    expect(encounter).toMatchObject({ status: 'in_progress', date_of_service_ms: null });
  });

  it('re-importing the whole file is idempotent', async () => {
    const before = storedObjects();
    cli.json(['import', join(folder, 'valid.ndjson')]);
    expect(await cli.counts()).toMatchObject({ documents: 2, recordings: 1 });
    expect(storedObjects()).toEqual(before);
  });
});

describe('charthero import: a bad line stops the import and keeps nothing', () => {
  const withoutCreatedAt = Object.fromEntries(Object.entries(ENCOUNTER).filter(([key]) => key !== 'created_at'));
  // Each file starts with records that would be new (org_new…) so a partial import would show in the counts.
  const NEW_ORG = { ...ORG, id: 'org_new' };
  const NEW_PATIENT = { ...PATIENT, id: 'pat_new', organization_id: 'org_new' };
  const NEW_ENCOUNTER = { ...ENCOUNTER, id: 'enc_new', organization_id: 'org_new', patient_id: 'pat_new' };
  const NEW_AMBIENT = { ...AMBIENT, id: 'doc_new', encounter_id: 'enc_new' };
  const cases: [string, (object | string)[], string][] = [
    ['bad JSON', [NEW_ORG, NEW_PATIENT, '{"type":"encounter",'], 'line 3: not valid JSON'],
    [
      'missing field',
      [NEW_ORG, NEW_PATIENT, { ...withoutCreatedAt, id: 'enc_new' }],
      'line 3: encounter.created_at: required',
    ],
    [
      'unknown reference',
      [NEW_ORG, NEW_PATIENT, { ...NEW_ENCOUNTER, patient_id: 'pat_missing' }],
      'line 3: encounter.patient_id: unknown patient "pat_missing"',
    ],
    [
      'bad date',
      [NEW_ORG, NEW_PATIENT, { ...NEW_ENCOUNTER, created_at: '2026-05-25T14:00:00' }],
      'line 3: encounter.created_at: not an RFC 3339 date-time with offset',
    ],
    [
      'missing audio file',
      [
        NEW_ORG,
        NEW_PATIENT,
        NEW_ENCOUNTER,
        NEW_AMBIENT,
        { ...RECORDING, document_id: 'doc_new', file: 'audio/nope.wav' },
      ],
      'line 5: recording.file: no readable file at "audio/nope.wav"',
    ],
    [
      'unknown type',
      [NEW_ORG, { type: 'invoice', id: 'inv_1' }],
      'line 2: type: unknown record type "invoice" (expected one of organization, patient, encounter, document, transcript, recording)',
    ],
    [
      'recording for a note',
      [NEW_ORG, NEW_PATIENT, NEW_ENCOUNTER, { ...RECORDING, document_id: 'doc_note' }],
      'line 4: recording.document_id: document "doc_note" is of schema_type "document", not "ambient_transcript"',
    ],
    [
      'blank lines count in the numbering',
      [NEW_ORG, '', '   ', { ...NEW_PATIENT, date_of_birth: '1970-02-30' }],
      'line 4: patient.date_of_birth: not a valid date (YYYY-MM-DD)',
    ],
  ];

  for (const [name, lines, message] of cases) {
    it(`${name} (with and without --json)`, async () => {
      const file = writeImport(`${name.replace(/\W+/g, '-')}.ndjson`, lines);
      const database = await databaseRows();
      const objects = storedObjects();
      for (const json of [[], ['--json']]) {
        const result = cli.run(['import', file, ...json]);
        expect(result.code).toBe(1);
        expect(result.stdout).toBe('');
        expect(result.stderr).toBe(`charthero: ${message}\n`);
        expect(await databaseRows()).toEqual(database);
        expect(storedObjects()).toEqual(objects);
      }
    });
  }

  it('keeps every table exactly as it was when earlier lines updated existing rows', async () => {
    const file = writeImport('updates-then-bad.ndjson', [
      { ...ORG, name: 'Renamed by a failed import' },
      { ...PATIENT, first_name: 'Changed' },
      { ...NOTE, title: 'Changed', content: { format: 'markdown', text: '# Changed' } },
      { ...TRANSCRIPT, turns: [] },
      { ...RECORDING, file: 'audio/other.wav' },
      { ...ENCOUNTER, status: 'cancelled', created_at: 'not a date' },
    ]);
    writeFileSync(join(folder, 'audio', 'other.wav'), Buffer.concat([WAV, Buffer.from('different bytes')]));
    const database = await databaseRows();
    expect(database.organizations).toHaveLength(1);
    const objects = storedObjects();
    const result = cli.run(['import', file]);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'charthero: line 6: encounter.created_at: not an RFC 3339 date-time with offset\n',
    });
    expect(await databaseRows()).toEqual(database);
    expect(storedObjects()).toEqual(objects);
  });

  it('rolls back earlier chunks when a line far into the file is bad', async () => {
    const patients = Array.from({ length: 1200 }, (_, i) => ({ ...NEW_PATIENT, id: `pat_bulk_${i}` }));
    const file = writeImport('late-error.ndjson', [
      NEW_ORG,
      ...patients,
      { ...NEW_ENCOUNTER, patient_id: 'pat_bulk_5', origin: 'production' },
    ]);
    const database = await databaseRows();
    const result = cli.run(['import', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'charthero: line 1202: encounter.origin: must be one of "clinical", "demo", "training"\n',
    );
    expect(await databaseRows()).toEqual(database);
  });

  it('reports a missing import file in one line', () => {
    const result = cli.run(['import', join(folder, 'absent.ndjson'), '--json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`charthero: cannot read ${join(folder, 'absent.ndjson')}\n`);
  });
});
