/**
 * Benchmark data sets: one organization (`org_bench`, allowlisted, every route on, no organization rate limit)
 * with N encounters, a patient per three encounters, 1.5 documents per encounter, one long finalized transcript,
 * and one valid key with no rate limit. The same rows on SQLite and on PostgreSQL (same ids, same values), so the
 * two dialects are compared on equal data.
 *
 * Fast by construction: the schema comes from the project's migrations, the organization and the key from the
 * project's own store functions (issueKey, insertOrganization), and the bulk rows go in with one prepared-statement
 * transaction (SQLite) or set-based INSERT … SELECT FROM generate_series (PostgreSQL), ids in index order.
 *
 *   node --import tsx bench/generate.ts sqlite 1000000 [dir]      # prints the data set as JSON
 *   node --import tsx bench/generate.ts postgres 1000000           # BENCH_PG_URL, default postgres://127.0.0.1:5432/test
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { createKeyringFile } from '../src/access/digest-keyring.js';
import { issueKey } from '../src/access/issue-key.js';
import { ROUTE_IDS, SCOPES } from '../src/contract/routes.js';
import { rebuildAllEncounterItems } from '../src/resources/encounter-items.js';
import { inTransaction, openStore, postgresConnectionString } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { insertOrganization } from '../src/store/organizations.js';

export type BenchDialect = 'sqlite' | 'postgres';

export const ORGANIZATION_ID = 'org_bench';
/** created_at of encounter i is BASE_MS + i * STEP_MS (2024-01-01 onwards; 1 000 000 encounters span ~14 months). */
const BASE_MS = Date.UTC(2024, 0, 1);
const STEP_MS = 37_000;
const FIRST_NAMES = ['Avery', 'Blake', 'Casey', 'Devon', 'Emery', 'Finley', 'Harper', 'Jordan'];
const LAST_NAMES = ['Quill', 'Rowan', 'Sutton', 'Tate', 'Vale', 'Wren', 'Yates', 'Ashby', 'Brook', 'Crane', 'Dale'];
const ENCOUNTER_TYPES = ['ambient', 'dictation', 'upload'];
const NOTE_TEXT =
  '# Visit note\n\n## Subjective\nFollow-up visit. Patient reports improved sleep and less knee pain.\n\n' +
  '## Assessment\nStable.\n\n## Plan\nContinue current medication; review in three months.';
/** Turns in the long transcript: about an hour of conversation (a ~190 KB response body). */
export const LONG_TRANSCRIPT_TURNS = 1500;

export interface Dataset {
  dialect: BenchDialect;
  encounters: number;
  /** Encounters the list shows (available, clinical). */
  listable: number;
  databaseUrl: string;
  keyringFile: string;
  audioDir: string;
  organizationId: string;
  /** A valid key: every scope, no rate limit. */
  keySecret: string;
  /** The long transcript: GET /external/v1/encounters/{encounterId}/documents/{documentId}/transcript. */
  transcript: { encounterId: string; documentId: string; turns: number };
  /** Seconds the bulk insert and the stored list items took (after the schema, the organization and the key). */
  generateSeconds: number;
  /** Removes the data set (the temp folder, and the scratch database on PostgreSQL). */
  drop(): Promise<void>;
}

const pad = (n: number) => String(n).padStart(7, '0');
export const encounterId = (i: number) => `enc_${pad(i)}`;

/** Encounters the list never shows: demo, training, and unavailable (3 in 100, spread through the data). */
export function listableEncounter(i: number): boolean {
  const r = i % 100;
  return r !== 7 && r !== 19 && r !== 33;
}

export function listableCount(n: number): number {
  let count = 0;
  for (let i = 0; i < n; i++) if (listableEncounter(i)) count++;
  return count;
}

function longTranscriptTurns(): string {
  const lines = [
    'How have you been sleeping since we changed the dose?',
    'Better, mostly. I still wake up around four some nights.',
    'Any dizziness or headaches in the morning?',
    'No headaches. A little dizzy when I stand up too fast.',
    'Let us check your blood pressure lying down and standing.',
  ];
  const turns = [];
  let t = 0;
  for (let k = 0; k < LONG_TRANSCRIPT_TURNS; k++) {
    const length = 1.2 + ((k * 7) % 30) / 10;
    turns.push({
      speaker: k % 2 === 0 ? 'clinician' : 'patient',
      start: Math.round(t * 10) / 10,
      end: Math.round((t + length) * 10) / 10,
      text: lines[k % lines.length]!,
    });
    t += length + 0.3;
  }
  return JSON.stringify(turns);
}

/**
 * The stored list items of every encounter, written by the project's own code as the import would have written
 * them (the bulk rows go around the import).
 */
async function writeEncounterItems(databaseUrl: string): Promise<void> {
  const store = openStore(databaseUrl);
  try {
    await inTransaction(store.db, (trx) => rebuildAllEncounterItems(trx));
  } finally {
    await store.close();
  }
}

/** Schema, organization, key, keyring: the parts that go through the project's own code. */
async function prepare(databaseUrl: string, dir: string) {
  const keyringFile = join(dir, 'digest-keys.json');
  const keyring = createKeyringFile(keyringFile);
  const store = openStore(databaseUrl);
  try {
    await migrate(store);
    await insertOrganization(store.db, {
      id: ORGANIZATION_ID,
      name: 'Benchmark Clinic',
      allowlisted: 1,
      api_keys_enabled: 1,
      rate_limit_per_second: 0,
      enabled_routes: ROUTE_IDS.join(','),
      state_version: 1,
      created_at_ms: BASE_MS,
    });
    const issued = await issueKey(store.db, keyring, {
      environment: 'test',
      organizationId: ORGANIZATION_ID,
      scopes: SCOPES,
      name: 'bench',
      expiresAtMs: null,
      rateLimitPerSecond: 0,
    });
    return { keyringFile, keySecret: issued.secret };
  } finally {
    await store.close();
  }
}

function fillSqlite(path: string, n: number): void {
  const db = new SqliteDatabase(path);
  try {
    // One writer, nothing to recover if the machine dies mid-way: no journal while loading, then back to WAL.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    db.pragma('foreign_keys = OFF');
    const patient = db.prepare(
      'insert into patients (id, organization_id, first_name, last_name, date_of_birth) values (?, ?, ?, ?, ?)',
    );
    const encounter = db.prepare(
      `insert into encounters (id, organization_id, patient_id, encounter_type, status, origin, available,
         created_at_ms, updated_at_ms, date_of_service_ms) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const document = db.prepare(
      `insert into documents (id, encounter_id, schema_type, title, status, workflow_variant, available,
         audio_duration_seconds, content_format, content_text, created_at_ms, updated_at_ms)
       values (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)`,
    );
    const transcript = db.prepare(
      'insert into transcripts (document_id, provider, audio_duration_seconds, finalized_at_ms, turns) values (?, ?, ?, ?, ?)',
    );
    db.transaction(() => {
      const patients = Math.ceil(n / 3);
      for (let p = 0; p < patients; p++) {
        const dob = `${1940 + (p % 60)}-${String(1 + (p % 12)).padStart(2, '0')}-${String(1 + (p % 28)).padStart(2, '0')}`;
        patient.run(`pat_${pad(p)}`, ORGANIZATION_ID, FIRST_NAMES[p % 8], LAST_NAMES[p % 11], dob);
      }
      for (let i = 0; i < n; i++) {
        const created = BASE_MS + i * STEP_MS;
        const r = i % 100;
        encounter.run(
          encounterId(i),
          ORGANIZATION_ID,
          `pat_${pad(Math.floor(i / 3))}`,
          ENCOUNTER_TYPES[i % 3],
          i % 10 === 9 ? 'in_progress' : 'completed',
          r === 7 ? 'demo' : r === 19 ? 'training' : 'clinical',
          r === 33 ? 0 : 1,
          created,
          created + 600_000,
          created,
        );
      }
      // Documents in id order: every ambient transcript (even encounters), then every note.
      for (let i = 0; i < n; i += 2) {
        const created = BASE_MS + i * STEP_MS + 60_000;
        document.run(
          `doc_a${pad(i)}`,
          encounterId(i),
          'ambient_transcript',
          'Ambient recording',
          'finalized',
          null,
          600 + (i % 1200) + 0.5,
          null,
          null,
          created,
          created + 60_000,
        );
      }
      for (let i = 0; i < n; i++) {
        const created = BASE_MS + i * STEP_MS + 300_000;
        document.run(
          `doc_n${pad(i)}`,
          encounterId(i),
          'document',
          'Visit note',
          'signed',
          'soap',
          null,
          'markdown',
          NOTE_TEXT,
          created,
          created + 60_000,
        );
      }
      transcript.run(`doc_a${pad(0)}`, 'deepgram', 3600.5, BASE_MS + 3_600_000, longTranscriptTurns());
    })();
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
}

/** The same rows as fillSqlite, computed by PostgreSQL itself. */
async function fillPostgres(client: pg.Client, n: number): Promise<void> {
  const names = (list: string[]) => `array[${list.map((name) => `'${name}'`).join(',')}]`;
  const id = (prefix: string, expr: string) => `'${prefix}' || lpad((${expr})::text, 7, '0')`;
  await client.query('begin');
  // Bulk-load practice: skip the per-row foreign-key triggers (the rows are consistent by construction; needs a
  // superuser, otherwise they run), and build the secondary indexes once at the end rather than row by row. The
  // indexes are recreated from their own definitions, so the schema ends exactly as the migrations left it.
  const superuser = await client.query<{ rolsuper: boolean }>(
    'select rolsuper from pg_roles where rolname = current_user',
  );
  if (superuser.rows[0]?.rolsuper) await client.query('set local session_replication_role = replica');
  await client.query(`set local maintenance_work_mem = '256MB'`);
  const indexes = await client.query<{ name: string; definition: string }>(`
    select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as definition
    from pg_index i join pg_class t on t.oid = i.indrelid
    where t.relname in ('encounters', 'documents', 'patients') and not i.indisprimary and not i.indisunique`);
  for (const index of indexes.rows) await client.query(`drop index ${index.name}`);
  await client.query(`
    insert into patients (id, organization_id, first_name, last_name, date_of_birth)
    select ${id('pat_', 'p')}, '${ORGANIZATION_ID}', (${names(FIRST_NAMES)})[p % 8 + 1], (${names(LAST_NAMES)})[p % 11 + 1],
      (1940 + p % 60)::text || '-' || lpad((1 + p % 12)::text, 2, '0') || '-' || lpad((1 + p % 28)::text, 2, '0')
    from generate_series(0, ${Math.ceil(n / 3) - 1}) as p`);
  await client.query(`
    insert into encounters (id, organization_id, patient_id, encounter_type, status, origin, available,
      created_at_ms, updated_at_ms, date_of_service_ms)
    select ${id('enc_', 'i')}, '${ORGANIZATION_ID}', ${id('pat_', 'i / 3')}, (${names(ENCOUNTER_TYPES)})[i % 3 + 1],
      case when i % 10 = 9 then 'in_progress' else 'completed' end,
      case i % 100 when 7 then 'demo' when 19 then 'training' else 'clinical' end,
      case when i % 100 = 33 then 0 else 1 end,
      ${BASE_MS}::bigint + i::bigint * ${STEP_MS}, ${BASE_MS}::bigint + i::bigint * ${STEP_MS} + 600000,
      ${BASE_MS}::bigint + i::bigint * ${STEP_MS}
    from generate_series(0, ${n - 1}) as i`);
  await client.query(
    `insert into documents (id, encounter_id, schema_type, title, status, workflow_variant, available,
       audio_duration_seconds, content_format, content_text, created_at_ms, updated_at_ms)
     select ${id('doc_a', 'i')}, ${id('enc_', 'i')}, 'ambient_transcript', 'Ambient recording', 'finalized', null, 1,
       600 + i % 1200 + 0.5, null, null, ${BASE_MS}::bigint + i::bigint * ${STEP_MS} + 60000,
       ${BASE_MS}::bigint + i::bigint * ${STEP_MS} + 120000
     from generate_series(0, ${n - 1}, 2) as i`,
  );
  await client.query(
    `insert into documents (id, encounter_id, schema_type, title, status, workflow_variant, available,
       audio_duration_seconds, content_format, content_text, created_at_ms, updated_at_ms)
     select ${id('doc_n', 'i')}, ${id('enc_', 'i')}, 'document', 'Visit note', 'signed', 'soap', 1, null, 'markdown', $1,
       ${BASE_MS}::bigint + i::bigint * ${STEP_MS} + 300000, ${BASE_MS}::bigint + i::bigint * ${STEP_MS} + 360000
     from generate_series(0, ${n - 1}) as i`,
    [NOTE_TEXT],
  );
  await client.query(
    'insert into transcripts (document_id, provider, audio_duration_seconds, finalized_at_ms, turns) values ($1, $2, $3, $4, $5)',
    [`doc_a${pad(0)}`, 'deepgram', 3600.5, BASE_MS + 3_600_000, longTranscriptTurns()],
  );
  for (const index of indexes.rows) await client.query(index.definition);
  await client.query('commit');
  // The statistics and visibility map autovacuum would have built by the time a table this size serves traffic.
  await client.query('vacuum analyze');
}

export async function adminQuery(baseUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresConnectionString(baseUrl), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export const DEFAULT_PG_URL = 'postgres://127.0.0.1:5432/test';

/** Whether PostgreSQL answers at `baseUrl` (the benchmark skips its PostgreSQL rows, loudly, when it does not). */
export async function postgresReachable(baseUrl: string): Promise<boolean> {
  try {
    await adminQuery(baseUrl, 'select 1');
    return true;
  } catch {
    return false;
  }
}

export interface GenerateOptions {
  dialect: BenchDialect;
  encounters: number;
  /** PostgreSQL server to create the scratch database on (its database is only used to run CREATE DATABASE). */
  postgresUrl?: string;
  /** Parent folder for the temp folder (keyring, audio, SQLite file). */
  parentDir?: string;
}

let scratchCounter = 0;

export async function generateDataset(options: GenerateOptions): Promise<Dataset> {
  const n = options.encounters;
  if (!Number.isInteger(n) || n < 200) throw new Error('a data set needs at least 200 encounters');
  const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), `charthero-bench-${options.dialect}-`));
  const audioDir = join(dir, 'audio');
  mkdirSync(audioDir, { recursive: true });
  let databaseUrl: string;
  let dropDatabase = async () => {};
  let generateSeconds: number;
  let prepared: { keyringFile: string; keySecret: string };
  if (options.dialect === 'sqlite') {
    const path = join(dir, 'charthero.sqlite');
    databaseUrl = `sqlite:${path}`;
    prepared = await prepare(databaseUrl, dir);
    const started = performance.now();
    fillSqlite(path, n);
    await writeEncounterItems(databaseUrl);
    generateSeconds = (performance.now() - started) / 1000;
  } else {
    const base = options.postgresUrl ?? DEFAULT_PG_URL;
    // The random part keeps two copies of this module in one process (bench/ab.ts loads one per tree) apart.
    const name = `charthero_bench_${process.pid}_${randomBytes(4).toString('hex')}_${++scratchCounter}`;
    await adminQuery(base, `drop database if exists ${name} with (force)`);
    await adminQuery(base, `create database ${name}`);
    const url = new URL(base);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDatabase = () => adminQuery(base, `drop database if exists ${name} with (force)`);
    try {
      prepared = await prepare(databaseUrl, dir);
      const client = new pg.Client({ connectionString: postgresConnectionString(databaseUrl) });
      await client.connect();
      const started = performance.now();
      try {
        await fillPostgres(client, n);
      } finally {
        await client.end();
      }
      await writeEncounterItems(databaseUrl);
      generateSeconds = (performance.now() - started) / 1000;
    } catch (error) {
      await dropDatabase().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }
  let dropped = false;
  return {
    dialect: options.dialect,
    encounters: n,
    listable: listableCount(n),
    databaseUrl,
    keyringFile: prepared.keyringFile,
    audioDir,
    organizationId: ORGANIZATION_ID,
    keySecret: prepared.keySecret,
    transcript: { encounterId: encounterId(0), documentId: `doc_a${pad(0)}`, turns: LONG_TRANSCRIPT_TURNS },
    generateSeconds,
    async drop() {
      if (dropped) return;
      dropped = true;
      await dropDatabase();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Run directly: generate one data set, print it, keep it (drop it yourself).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dialect = (process.argv[2] ?? 'sqlite') as BenchDialect;
  const encounters = Number(process.argv[3] ?? 10_000);
  const started = performance.now();
  const dataset = await generateDataset({
    dialect,
    encounters,
    parentDir: process.argv[4],
    postgresUrl: process.env.BENCH_PG_URL || DEFAULT_PG_URL,
  });
  const { drop: _drop, ...printable } = dataset;
  console.log(JSON.stringify({ ...printable, totalSeconds: (performance.now() - started) / 1000 }, null, 2));
}
