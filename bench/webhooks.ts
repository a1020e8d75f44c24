/**
 * Webhook delivery throughput and memory: 10 000 transcript_ready events fanned out to 3 loopback endpoints
 * (30 000 deliveries), through the real import (outbox) and the real worker (claims, signing, undici, records).
 *
 *   node --import tsx bench/webhooks.ts                 # SQLite
 *   BENCH_DATABASE_URL=postgres://127.0.0.1:5432/test node --import tsx bench/webhooks.ts
 *
 * BENCH_EVENTS (default 10000) and BENCH_CONCURRENCY (the worker's attempts in flight, default 32) change the run.
 * The receivers run in a child process; the worker runs here, so the memory figures are the worker's process.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import type { Keyring } from '../src/access/digest-keyring.js';
import { importNdjsonFile } from '../src/import/importer.js';
import type { AudioStorage } from '../src/media/storage.js';
import { openStore, postgresConnectionString } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { insertOrganization } from '../src/store/organizations.js';
import { countDeliveriesByState, insertWebhookEndpoint } from '../src/store/webhooks.js';
import { newEndpointId } from '../src/webhooks/ids.js';
import { generateWebhookSecret, sealSecret } from '../src/webhooks/secrets.js';
import { startWebhookWorker } from '../src/webhooks/worker.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ENDPOINTS = 3;
// The same user default as the server's own connections (the OS user when the URL and the environment name none).
const pgBase = process.env.BENCH_DATABASE_URL && postgresConnectionString(process.env.BENCH_DATABASE_URL);

const dir = mkdtempSync(join(tmpdir(), 'charthero-bench-webhooks-'));
let databaseUrl = `sqlite:${join(dir, 'bench.sqlite')}`;
let dropDatabase = async () => {};
if (pgBase) {
  const name = `charthero_bench_webhooks_${process.pid}`;
  const admin = new pg.Client({ connectionString: pgBase });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(pgBase);
  url.pathname = `/${name}`;
  databaseUrl = url.toString();
  dropDatabase = async () => {
    const client = new pg.Client({ connectionString: pgBase });
    await client.connect();
    await client.query(`drop database if exists ${name} with (force)`);
    await client.end();
  };
}

const receivers = fork(join(import.meta.dirname, 'webhook-receivers.ts'), [], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
});
const { ports } = await new Promise<{ ports: number[] }>((resolve) => {
  receivers.stdout!.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString())));
});

const store = openStore(databaseUrl, { poolSize: 10, timeoutMs: 30_000 });
await migrate(store);
const keyring: Keyring = { entries: [{ version: 1, secret: randomBytes(32), createdAt: '' }] };
await insertOrganization(store.db, {
  id: 'org_bench',
  name: 'Bench',
  allowlisted: 1,
  api_keys_enabled: 1,
  rate_limit_per_second: 0,
  enabled_routes: '',
  state_version: 1,
  created_at_ms: Date.now(),
});
for (const port of ports.slice(0, ENDPOINTS)) {
  const id = newEndpointId();
  await insertWebhookEndpoint(store.db, {
    id,
    organization_id: 'org_bench',
    url: `http://127.0.0.1:${port}/hook`,
    description: '',
    status: 'enabled',
    secret_sealed: sealSecret(keyring, id, generateWebhookSecret()),
    previous_secret_sealed: null,
    previous_secret_expires_at_ms: null,
    created_at_ms: Date.now(),
    updated_at_ms: Date.now(),
  });
}

const lines: string[] = [
  JSON.stringify({
    type: 'patient',
    id: 'pat_b',
    organization_id: 'org_bench',
    first_name: 'A',
    last_name: 'B',
    date_of_birth: '1970-01-01',
  }),
];
for (let i = 0; i < EVENTS; i++) {
  const at = '2026-05-25T14:00:00Z';
  lines.push(
    JSON.stringify({
      type: 'encounter',
      id: `enc_${i}`,
      organization_id: 'org_bench',
      patient_id: 'pat_b',
      encounter_type: 'ambient',
      status: 'completed',
      origin: 'clinical',
      available: true,
      created_at: at,
      updated_at: at,
      date_of_service: null,
    }),
    JSON.stringify({
      type: 'document',
      id: `doc_${i}`,
      encounter_id: `enc_${i}`,
      schema_type: 'ambient_transcript',
      title: 'T',
      status: 'finalized',
      audio_duration_seconds: 1,
      available: true,
      created_at: at,
      updated_at: at,
    }),
    JSON.stringify({
      type: 'transcript',
      document_id: `doc_${i}`,
      provider: 'deepgram',
      audio_duration_seconds: 1,
      finalized_at: '2026-05-25T15:00:00Z',
      turns: [],
    }),
  );
}
const file = join(dir, 'events.ndjson');
writeFileSync(file, `${lines.join('\n')}\n`);
const noAudio = {} as AudioStorage;
const importStarted = performance.now();
await importNdjsonFile(store.db, noAudio, file);
const importMs = performance.now() - importStarted;

const total = EVENTS * ENDPOINTS;
let peakRss = 0;
let peakHeap = 0;
const sample = () => {
  const usage = process.memoryUsage();
  peakRss = Math.max(peakRss, usage.rss);
  peakHeap = Math.max(peakHeap, usage.heapUsed);
};
sample();
const rssBefore = process.memoryUsage().rss;
const sampler = setInterval(sample, 100);
const started = performance.now();
const cpuStarted = process.cpuUsage();
const worker = startWebhookWorker({
  store,
  keyring: () => keyring,
  environment: 'sandbox',
  retryScheduleSeconds: [5],
  leaseMs: 30_000,
  logger: pino({ level: 'silent' }),
  concurrency: CONCURRENCY,
});
let counts = await countDeliveriesByState(store.db);
while (counts.delivered + counts.failed < total) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  counts = await countDeliveriesByState(store.db);
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStarted);
clearInterval(sampler);
await worker.stop();
const received = await new Promise<number[]>((resolve) => {
  receivers.once('message', (message: { counts: number[] }) => resolve(message.counts));
  receivers.send('counts');
});
receivers.kill();
await store.close();
await dropDatabase();
rmSync(dir, { recursive: true, force: true });

const result = {
  database: pgBase ? 'postgres' : 'sqlite',
  events: EVENTS,
  endpoints: ENDPOINTS,
  deliveries: total,
  concurrency: CONCURRENCY,
  import_with_outbox_s: Number((importMs / 1000).toFixed(2)),
  delivery_s: Number(seconds.toFixed(2)),
  deliveries_per_s: Math.round(total / seconds),
  worker_cpu_us_per_delivery: Math.round((cpu.user + cpu.system) / total),
  delivered: counts.delivered,
  failed: counts.failed,
  received_per_endpoint: received,
  rss_before_mb: Math.round(rssBefore / 2 ** 20),
  peak_rss_mb: Math.round(peakRss / 2 ** 20),
  peak_heap_mb: Math.round(peakHeap / 2 ** 20),
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
