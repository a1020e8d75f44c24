/**
 * Hostile imports (CONTRACT.md section 11), run through the real `charthero import` against a served fixture: every
 * file first updates existing rows and adds new ones, then holds one hostile line. Each must stop at that line with
 * the exact `line N: …` message and exit code 1, leave every table row and every stored audio byte as it was, and
 * leave what the API answers about the other organization's records exactly as before.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliSandbox, cliSandbox, ensureBuilt } from '../cli/cli.js';
import { snapshotDatabase } from '../support/database.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
let cli: CliSandbox;
let folder: string;
let cliEnv: Record<string, string>;

const MIB = 1024 * 1024;
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

/** Lines 1–5 of every hostile file: two updates of org_beta's existing rows, then three new records. */
const PREAMBLE: object[] = [
  { type: 'organization', id: 'org_beta', name: 'Beta, renamed by the import' },
  { type: 'patient', id: 'pat_b1', organization_id: 'org_beta', first_name: 'Changed', last_name: 'Name' },
  { type: 'patient', id: 'pat_new', organization_id: 'org_beta', first_name: 'New', last_name: 'Patient' },
  {
    type: 'encounter',
    id: 'enc_new',
    organization_id: 'org_beta',
    patient_id: 'pat_new',
    encounter_type: 'ambient',
    status: 'completed',
    origin: 'clinical',
    available: true,
    created_at: '2026-07-01T10:00:00Z',
    updated_at: '2026-07-01T10:00:00Z',
  },
  {
    type: 'document',
    id: 'doc_new',
    encounter_id: 'enc_new',
    schema_type: 'ambient_transcript',
    title: 'New transcript',
    status: 'finalized',
    available: true,
    created_at: '2026-07-01T10:05:00Z',
    updated_at: '2026-07-01T10:05:00Z',
  },
];
const HOSTILE_LINE = PREAMBLE.length + 1;

const recording = (file: string, contentType = 'audio/wav') => ({
  type: 'recording',
  document_id: 'doc_new',
  file,
  content_type: contentType,
});
/** Another organization's document, re-hung under org_beta's new encounter. */
const TAKE_DOC_AMB = {
  type: 'document',
  id: 'doc_amb',
  encounter_id: 'enc_new',
  schema_type: 'ambient_transcript',
  title: 'Taken',
  status: 'finalized',
  available: true,
  created_at: '2026-07-01T10:05:00Z',
  updated_at: '2026-07-01T10:05:00Z',
};

type Line = object | string | Buffer;

function writeImport(name: string, lines: readonly Line[]): string {
  const file = join(folder, name);
  const bytes = lines.map((line) =>
    Buffer.isBuffer(line) ? line : Buffer.from(typeof line === 'string' ? line : JSON.stringify(line)),
  );
  writeFileSync(file, Buffer.concat(bytes.flatMap((line) => [line, Buffer.from('\n')])));
  return file;
}

/** Every file and folder of audio storage: path → mode and content hash. */
function audioSnapshot(): Record<string, string> {
  const root = join(h.dir, 'audio');
  const snapshot: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const mode = (statSync(path).mode & 0o7777).toString(8);
      if (entry.isDirectory()) {
        snapshot[`${relative(root, path)}/`] = mode;
        walk(path);
      } else {
        snapshot[relative(root, path)] = `${mode} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
      }
    }
  };
  walk(root);
  return snapshot;
}

/** What the API answers about both organizations' records: status, content type and the whole body. */
async function apiView() {
  const alpha = bearer(h.fixture.keys.full.secret);
  const beta = bearer(h.fixture.keys.beta.secret);
  const probes: [string, Record<string, string>][] = [
    ['/external/v1/encounters', alpha],
    ['/external/v1/encounters/enc_a1', alpha],
    ['/external/v1/encounters/enc_a1/documents/doc_note', alpha],
    ['/external/v1/encounters/enc_a1/documents/doc_amb', alpha],
    ['/external/v1/encounters/enc_a1/documents/doc_amb/transcript', alpha],
    ['/external/v1/encounters', beta],
    ['/external/v1/encounters/enc_b1', beta],
    ['/external/v1/encounters/enc_b1/documents/doc_b1', beta],
    ['/external/v1/encounters/enc_a1', beta],
    ['/external/v1/encounters/enc_a1/documents/doc_amb/transcript', beta],
  ];
  const view: Record<string, unknown> = {};
  for (const [url, headers] of probes) {
    const response = await h.get(url, headers);
    view[`${headers === alpha ? 'alpha' : 'beta'} ${url}`] = {
      status: response.statusCode,
      contentType: response.headers['content-type'],
      body: response.body,
    };
  }
  // The signed URL changes with the clock; what it serves must not.
  const issued = await h.get('/external/v1/encounters/enc_a1/documents/doc_amb/audio', alpha);
  expect(issued.statusCode).toBe(200);
  const url = new URL(issued.json().audio_url as string);
  const media = await h.runtime.app.inject({ method: 'GET', url: url.pathname + url.search });
  view.audio = {
    status: media.statusCode,
    contentType: media.headers['content-type'],
    sha256: createHash('sha256').update(media.rawPayload).digest('hex'),
  };
  return view;
}

/**
 * The database as the import could change it. The probes' own traces are settled first (the access ledger is
 * flushed); a key's last-used time is left out because the server writes it on a timer of its own, not the import.
 */
async function quietSnapshot() {
  await h.runtime.audit.flush();
  return snapshotDatabase(h.runtime.store.db, { api_keys: ['last_used_at_ms'] });
}

beforeAll(async () => {
  ensureBuilt();
  h = await startHarness();
  cli = await cliSandbox({ keyring: false });
  cliEnv = {
    CHARTHERO_DATABASE_URL: h.config.databaseUrl,
    CHARTHERO_DIGEST_KEYS_FILE: h.config.digestKeysFile,
    CHARTHERO_AUDIO_STORAGE: `file:${join(h.dir, 'audio')}`,
  };
  folder = join(h.dir, 'import');
  mkdirSync(join(folder, 'audio'), { recursive: true });
  writeFileSync(join(folder, 'audio', 'visit.wav'), h.fixture.audio);
  // Links out of the folder, to the digest keyring (the secret an escaping path would hand to a partner).
  symlinkSync(h.config.digestKeysFile, join(folder, 'audio', 'keys.wav'));
  symlinkSync('../../digest-keys.json', join(folder, 'audio', 'relative-keys.wav'));
  symlinkSync(join(h.dir, 'audio'), join(folder, 'stored'));
  symlinkSync('loop-b.wav', join(folder, 'audio', 'loop-a.wav'));
  symlinkSync('loop-a.wav', join(folder, 'audio', 'loop-b.wav'));
  execFileSync('mkfifo', [join(folder, 'audio', 'pipe.wav')]);
});
afterAll(async () => {
  await cli?.close();
  await h?.close();
});

const invalidUtf8 = (bytes: number[]) =>
  Buffer.concat([
    Buffer.from('{"type":"patient","id":"pat_x","organization_id":"org_beta","first_name":"'),
    Buffer.from(bytes),
    Buffer.from('"}'),
  ]);
const nested = (depth: number) =>
  `{"type":"organization","id":"org_deep","name":"x","deep":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;

const CASES: [name: string, hostile: Line[], message: string][] = [
  [
    '.. traversal to the keyring',
    [recording('../digest-keys.json')],
    `recording.file: "../digest-keys.json" resolves outside the import file's folder`,
  ],
  [
    'deep .. traversal',
    [recording('audio/../../../../../../../../etc/passwd')],
    `recording.file: "audio/../../../../../../../../etc/passwd" resolves outside the import file's folder`,
  ],
  ['absolute path', [recording('/etc/passwd')], 'recording.file: must be a path relative to the import file'],
  [
    'symbolic link to a file outside',
    [recording('audio/keys.wav')],
    `recording.file: "audio/keys.wav" resolves outside the import file's folder`,
  ],
  [
    'relative symbolic link to a file outside',
    [recording('audio/relative-keys.wav')],
    `recording.file: "audio/relative-keys.wav" resolves outside the import file's folder`,
  ],
  [
    'symbolic link to a folder outside',
    [recording('stored/org_alpha/doc_amb.wav')],
    `recording.file: "stored/org_alpha/doc_amb.wav" resolves outside the import file's folder`,
  ],
  ['symbolic link loop', [recording('audio/loop-a.wav')], 'recording.file: "audio/loop-a.wav" is a symbolic link loop'],
  ['a directory', [recording('audio')], 'recording.file: "audio" is not a regular file'],
  ['a FIFO', [recording('audio/pipe.wav')], 'recording.file: "audio/pipe.wav" is not a regular file'],
  [
    'text/html',
    [recording('audio/visit.wav', 'text/html')],
    'recording.content_type: must be audio/<subtype> (such as audio/wav), with no parameters',
  ],
  ['invalid UTF-8 (a lone 0xFF)', [invalidUtf8([0xff])], 'not valid UTF-8'],
  ['invalid UTF-8 (an overlong "/")', [invalidUtf8([0xc0, 0xaf])], 'not valid UTF-8'],
  ['invalid UTF-8 (an encoded surrogate)', [invalidUtf8([0xed, 0xa0, 0x80])], 'not valid UTF-8'],
  [
    'a 17 MiB line',
    [JSON.stringify({ type: 'organization', id: 'org_big', name: 'x'.repeat(17 * MIB) })],
    'longer than 16 MiB',
  ],
  ['JSON nested 33 levels deep', [nested(33)], 'JSON nested deeper than 32 levels'],
  [
    'a patient id of another organization',
    [{ type: 'patient', id: 'pat_a1', organization_id: 'org_beta', first_name: 'Taken' }],
    'patient.id: patient "pat_a1" already exists under another organization',
  ],
  [
    'an encounter id of another organization',
    [{ ...PREAMBLE[3], id: 'enc_a1', patient_id: 'pat_b1' }],
    'encounter.id: encounter "enc_a1" already exists under another organization',
  ],
  [
    'a document id of another organization',
    [{ ...TAKE_DOC_AMB, id: 'doc_note', schema_type: 'document', content: { format: 'markdown', text: 'x' } }],
    'document.id: document "doc_note" already exists under another organization',
  ],
  [
    'a transcript moved with its document to another organization',
    [TAKE_DOC_AMB, { type: 'transcript', document_id: 'doc_amb', provider: 'p', finalized_at: null, turns: [] }],
    'document.id: document "doc_amb" already exists under another organization',
  ],
  [
    'a recording moved with its document to another organization',
    [TAKE_DOC_AMB, { ...recording('audio/visit.wav'), document_id: 'doc_amb' }],
    'document.id: document "doc_amb" already exists under another organization',
  ],
];

describe('charthero import refuses hostile files and keeps nothing', () => {
  for (const [name, hostile, message] of CASES) {
    it(name, async () => {
      const file = writeImport(`${name.replace(/\W+/g, '-')}.ndjson`, [...PREAMBLE, ...hostile]);
      const api = await apiView();
      const database = await quietSnapshot();
      const audio = audioSnapshot();

      const result = cli.run(['import', file, '--json'], cliEnv);
      expect(result).toEqual({ code: 1, stdout: '', stderr: `charthero: line ${HOSTILE_LINE}: ${message}\n` });

      expect(await quietSnapshot()).toEqual(database);
      expect(audioSnapshot()).toEqual(audio);
      expect(await apiView()).toEqual(api);
    });
  }

  it('the same preamble imports when the hostile line is left out (so each case fails on its line alone)', async () => {
    const file = writeImport('preamble-only.ndjson', [...PREAMBLE, recording('audio/visit.wav')]);
    const before = await quietSnapshot();
    const result = cli.run(['import', file, '--json'], cliEnv);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ records: 6, recordings: 1 });
    const after = await quietSnapshot();
    expect(after.organizations).not.toEqual(before.organizations);
    expect(after.patients).not.toEqual(before.patients);
  });
});
