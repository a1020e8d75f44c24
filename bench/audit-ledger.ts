/**
 * `npm run bench:audit`: what the durable audit ledger costs (CONTRACT.md section 14), in one run, side by side.
 *
 * 1. `get_encounter` at 16 connections, on SQLite and on PostgreSQL: this tree (durable, group commit) against the
 *    commit before it (b7914ad: records buffered for up to 250 ms, responses first). The old tree is extracted
 *    with `git archive` into a temp folder and run from source with tsx, exactly as this one is, each on its own
 *    data set seeded by its own CLI. Rounds alternate old/new so machine noise hits both alike.
 * 2. `charthero audit export` of 1 000 000 records (SQLite): throughput and peak RSS, against an export of
 *    100 000 records (flat memory means the same peak).
 *
 * Environment: BENCH_AUDIT_SECONDS (per round, default 8), BENCH_AUDIT_ROUNDS (default 3), BENCH_PG_URL
 * (default postgres://127.0.0.1:5432/test), BENCH_SKIP_PG=1, BENCH_EXPORT_RECORDS (default 1000000),
 * BENCH_AUDIT_EXPORT_ONLY=1 (only part 2).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditChainKey, readKeyringFile } from '../src/access/digest-keyring.js';
import { type AuditFields, chainRecords, EMPTY_HEAD } from '../src/audit/chain.js';
import { appendChainRecords } from '../src/store/audit-ledger.js';
import { openStore } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { adminQuery, DEFAULT_PG_URL, postgresReachable } from './generate.js';
import { type LoadResult, residentBytes, runLoad } from './load.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '..');
const OLD_COMMIT = 'b7914ad';
const SECONDS = Number(process.env.BENCH_AUDIT_SECONDS || 8);
const ROUNDS = Number(process.env.BENCH_AUDIT_ROUNDS || 3);
const CONNECTIONS = 16;
const PG_URL = process.env.BENCH_SKIP_PG === '1' ? null : process.env.BENCH_PG_URL || DEFAULT_PG_URL;
const EXPORT_RECORDS = Number(process.env.BENCH_EXPORT_RECORDS || 1_000_000);

const log = (line: string) => process.stderr.write(`${line}\n`);
const work = mkdtempSync(join(tmpdir(), 'charthero-bench-audit-'));
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** The old tree, extracted next to this one, sharing this tree's node_modules (same dependency versions). */
function extractOldTree(): string {
  const dir = join(work, 'old');
  mkdirSync(dir);
  execFileSync('sh', ['-c', `git -C "${ROOT}" archive ${OLD_COMMIT} | tar -x -C "${dir}"`]);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('CHARTHERO_')) env[name] = value;
  }
  return { ...env, ...extra };
}

function cli(tree: string, env: Record<string, string>, args: string[]): Record<string, unknown> {
  // `--import tsx` resolves from the working directory: each tree's own (linked) node_modules.
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(tree, 'src/cli/main.ts'), ...args, '--json'], {
    cwd: tree,
    env: cleanEnv(env),
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

interface Variant {
  name: string;
  tree: string;
  env: Record<string, string>;
  secret: string;
  drop(): Promise<void>;
}

async function prepareVariant(name: string, tree: string, dialect: 'sqlite' | 'postgres'): Promise<Variant> {
  const dir = mkdtempSync(join(work, `${name}-${dialect}-`));
  let databaseUrl = `sqlite:${join(dir, 'charthero.sqlite')}`;
  let drop = async () => {};
  if (dialect === 'postgres') {
    const database = `charthero_bench_audit_${name}_${process.pid}`;
    await adminQuery(PG_URL!, `drop database if exists ${database} with (force)`);
    await adminQuery(PG_URL!, `create database ${database}`);
    const url = new URL(PG_URL!);
    url.pathname = `/${database}`;
    databaseUrl = url.toString();
    drop = () => adminQuery(PG_URL!, `drop database if exists ${database} with (force)`).then(() => {});
  }
  const env = {
    CHARTHERO_DATABASE_URL: databaseUrl,
    CHARTHERO_DIGEST_KEYS_FILE: join(dir, 'digest-keys.json'),
    CHARTHERO_AUDIO_STORAGE: `file:${join(dir, 'audio')}`,
  };
  cli(tree, env, ['keyring', 'create', env.CHARTHERO_DIGEST_KEYS_FILE]);
  const seeded = cli(tree, env, ['seed', '--encounters', '2000']);
  const key = cli(tree, env, [
    'key',
    'create',
    '--org',
    String(seeded.organization_id),
    '--scopes',
    'all',
    '--rate-limit',
    '0',
  ]);
  return { name, tree, env, secret: String(key.secret), drop };
}

async function startServe(variant: Variant): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(variant.tree, 'src/cli/main.ts'), 'serve'], {
    cwd: variant.tree,
    env: cleanEnv({ ...variant.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn' }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${variant.name} serve exited ${code}`)));
  });
  return {
    url,
    pid: child.pid!,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      children.delete(child);
    },
  };
}

async function encounterIds(url: string, secret: string): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; offset < 1000; offset += 100) {
    const response = await fetch(`${url}/external/v1/encounters?limit=100&offset=${offset}`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    const body = (await response.json()) as { items: { encounter_id: string }[] };
    ids.push(...body.items.map((item) => item.encounter_id));
  }
  return ids;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function compare(dialect: 'sqlite' | 'postgres', oldTree: string) {
  log(`\n[${dialect}] seeding both data sets`);
  const variants = [await prepareVariant('async', oldTree, dialect), await prepareVariant('durable', ROOT, dialect)];
  const results = new Map<string, LoadResult[]>(variants.map((variant) => [variant.name, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
        const server = await startServe(variant);
        try {
          const ids = await encounterIds(server.url, variant.secret);
          const path = () => `/external/v1/encounters/${ids[Math.floor(Math.random() * ids.length)]}`;
          // Warm-up, then the measured run.
          await runLoad({
            url: server.url,
            connections: CONNECTIONS,
            durationSeconds: 2,
            next: () => ({ path: path() }),
            headers: { authorization: `Bearer ${variant.secret}` },
          });
          const result = await runLoad({
            url: server.url,
            connections: CONNECTIONS,
            durationSeconds: SECONDS,
            next: () => ({ path: path() }),
            headers: { authorization: `Bearer ${variant.secret}` },
            serverPid: server.pid,
          });
          log(
            `[${dialect}] round ${round + 1} ${variant.name}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, server ${result.serverCpuUsPerRequest?.toFixed(0)} µs CPU/request, statuses ${JSON.stringify(result.statuses)}`,
          );
          results.get(variant.name)!.push(result);
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    for (const variant of variants) await variant.drop();
  }
  const summary = (name: string) => {
    const runs = results.get(name)!;
    return {
      rps: median(runs.map((run) => run.requestsPerSecond)),
      p50: median(runs.map((run) => run.p50Ms)),
      p99: median(runs.map((run) => run.p99Ms)),
      cpu: median(runs.map((run) => run.serverCpuUsPerRequest ?? Number.NaN)),
    };
  };
  const before = summary('async');
  const after = summary('durable');
  const row = (label: string, s: ReturnType<typeof summary>) =>
    `| ${dialect} | ${label} | ${Math.round(s.rps)} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${Math.round(s.cpu)} |`;
  return [
    row(`asynchronous (${OLD_COMMIT})`, before),
    row('durable, group commit', after),
    `| ${dialect} | **cost** | **${(((before.rps - after.rps) / before.rps) * 100).toFixed(1)} %** | ${(after.p50 - before.p50).toFixed(2)} | **${(after.p99 - before.p99).toFixed(2)} ms** | ${Math.round(after.cpu - before.cpu)} |`,
  ];
}

/** Writes `count` chained records (as the ledger does, in 5 000-record transactions) into a fresh SQLite file. */
async function fillLedger(count: number): Promise<{ env: Record<string, string>; seconds: number }> {
  const dir = mkdtempSync(join(work, 'export-'));
  const env = {
    CHARTHERO_DATABASE_URL: `sqlite:${join(dir, 'charthero.sqlite')}`,
    CHARTHERO_DIGEST_KEYS_FILE: join(dir, 'digest-keys.json'),
    CHARTHERO_AUDIO_STORAGE: `file:${join(dir, 'audio')}`,
  };
  cli(ROOT, env, ['keyring', 'create', env.CHARTHERO_DIGEST_KEYS_FILE]);
  const keyring = readKeyringFile(env.CHARTHERO_DIGEST_KEYS_FILE, { requirePrivate: false });
  const key = auditChainKey(keyring.entries[0]!);
  const store = openStore(env.CHARTHERO_DATABASE_URL);
  const started = performance.now();
  try {
    await migrate(store);
    let head = EMPTY_HEAD;
    const chain = `chn_${randomBytes(16).toString('hex')}`;
    const t0 = Date.UTC(2026, 0, 1);
    for (let written = 0; written < count; written += 5000) {
      const fields: AuditFields[] = Array.from({ length: Math.min(5000, count - written) }, (_, i) => {
        const n = written + i;
        return {
          at_ms: t0 + n * 10,
          event: 'request',
          request_id: `req-${n}`,
          key_id: 'key_bench',
          organization_id: `org_${n % 7}`,
          route_id: 'get_encounter',
          method: 'GET',
          status: 200,
          reason_code: null,
          resource_ids: JSON.stringify([`enc_${n}`, `pat_${n % 1000}`, `doc_${n}_1`, `doc_${n}_2`]),
          client_ip: '203.0.113.7',
          user_agent: 'bench/1',
          latency_ms: 1.234,
          count: 1,
        };
      });
      const rows = chainRecords(chain, head, keyring.entries[0]!.version, key, fields);
      head = { seq: rows.at(-1)!.seq, hash: rows.at(-1)!.hash };
      await appendChainRecords(store.db, rows);
    }
  } finally {
    await store.close();
  }
  return { env, seconds: (performance.now() - started) / 1000 };
}

/** `charthero audit export > /dev/null`: wall time and the peak resident memory (sampled every 20 ms). */
async function measureExport(env: Record<string, string>, expected: number) {
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin/charthero.js'), 'audit', 'export'], {
    cwd: work,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let lines = 0;
  let bytes = 0;
  child.stdout!.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    for (const byte of chunk) if (byte === 10) lines++;
  });
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, residentBytes(child.pid!) ?? 0);
  }, 20);
  await new Promise((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  if (lines !== expected) throw new Error(`export wrote ${lines} lines, expected ${expected}`);
  return { seconds, peakMiB: peak / 2 ** 20, mib: bytes / 2 ** 20, perSecond: lines / seconds };
}

const lines: string[] = [];
if (process.env.BENCH_AUDIT_EXPORT_ONLY !== '1') {
  const oldTree = extractOldTree();
  lines.push(
    '| database | ledger | req/s | p50 ms | p99 ms | server µs CPU/request |',
    '|---|---|---|---|---|---|',
    ...(await compare('sqlite', oldTree)),
  );
  if (PG_URL && (await postgresReachable(PG_URL))) lines.push(...(await compare('postgres', oldTree)));
  else log('PostgreSQL not reachable or skipped: no PostgreSQL rows');
}

log('\n[export] filling ledgers');
const small = await fillLedger(EXPORT_RECORDS / 10);
const large = await fillLedger(EXPORT_RECORDS);
log(`[export] ${EXPORT_RECORDS} records written in ${large.seconds.toFixed(1)} s`);
const smallRun = await measureExport(small.env, EXPORT_RECORDS / 10);
const largeRun = await measureExport(large.env, EXPORT_RECORDS);
lines.push(
  '',
  '| export | records | wall s | records/s | NDJSON MiB | peak RSS MiB |',
  '|---|---|---|---|---|---|',
  `| SQLite | ${EXPORT_RECORDS / 10} | ${smallRun.seconds.toFixed(1)} | ${Math.round(smallRun.perSecond)} | ${smallRun.mib.toFixed(0)} | ${smallRun.peakMiB.toFixed(0)} |`,
  `| SQLite | ${EXPORT_RECORDS} | ${largeRun.seconds.toFixed(1)} | ${Math.round(largeRun.perSecond)} | ${largeRun.mib.toFixed(0)} | ${largeRun.peakMiB.toFixed(0)} |`,
);
process.stdout.write(`${lines.join('\n')}\n`);
