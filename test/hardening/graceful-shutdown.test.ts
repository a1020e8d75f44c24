/**
 * SIGTERM under load: a real `charthero serve` process (run from the sources), sustained keep-alive load, SIGTERM
 * in the middle. The process must exit 0, every request the server took must get a complete 2xx response, and the
 * ledger must hold exactly one `request` record per response the clients received (none lost in the flush).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createKeyringFile } from '../../src/access/digest-keyring.js';
import { issueKey } from '../../src/access/issue-key.js';
import { verifyLedger } from '../../src/audit/verify.js';
import { SCOPES } from '../../src/contract/routes.js';
import { openStore } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { freshDatabase } from '../support/database.js';
import { insertBulkData } from './support/bulk-data.js';

const WORKERS = 24;
const LOAD_BEFORE_SIGTERM_MS = 2500;

const dir = mkdtempSync(join(tmpdir(), 'charthero-sigterm-'));
let child: ChildProcess | undefined;
let dropDatabase: (() => Promise<void>) | undefined;

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await dropDatabase?.();
  rmSync(dir, { recursive: true, force: true });
});

type Outcome =
  | { kind: 'response'; status: number; complete: boolean }
  | { kind: 'refused' }
  | { kind: 'reset'; code: string };

function get(agent: Agent, base: URL, path: string, secret: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(
      { host: base.hostname, port: base.port, path, agent, headers: { authorization: `Bearer ${secret}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          let complete = res.complete;
          if (complete && res.statusCode === 200) {
            try {
              complete = Array.isArray(JSON.parse(Buffer.concat(chunks).toString('utf8')).items);
            } catch {
              complete = false;
            }
          }
          resolve({ kind: 'response', status: res.statusCode ?? 0, complete });
        });
        res.on('error', () => resolve({ kind: 'response', status: res.statusCode ?? 0, complete: false }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve({ kind: 'refused' });
      else resolve({ kind: 'reset', code: error.code ?? error.message });
    });
    req.end();
  });
}

it('SIGTERM under keep-alive load: exit 0, no failed in-flight request, no lost audit record', async () => {
  // Data: enough encounters that a 100-item page takes a while, so requests are in flight when SIGTERM lands.
  const database = await freshDatabase(dir);
  dropDatabase = database.drop;
  const keysFile = join(dir, 'digest-keys.json');
  const keyring = createKeyringFile(keysFile);
  const store = openStore(database.url);
  await migrate(store);
  await insertBulkData(store.db, { encounters: 1500, documentsPerEncounter: 4 });
  const { secret } = await issueKey(store.db, keyring, {
    environment: 'test',
    organizationId: 'org_bulk',
    scopes: SCOPES,
    name: 'load',
    expiresAtMs: null,
    rateLimitPerSecond: 0,
  });
  await store.close();

  child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--json'], {
    env: {
      ...process.env,
      CHARTHERO_DATABASE_URL: database.url,
      CHARTHERO_DIGEST_KEYS_FILE: keysFile,
      CHARTHERO_AUDIO_STORAGE: `file:${join(dir, 'audio')}`,
      CHARTHERO_REDIS_URL: '',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child!.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + 60_000;
  while (!stdout.includes('\n') && child.exitCode === null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(stdout, stderr).toContain('"url"');
  const base = new URL(JSON.parse(stdout.split('\n')[0]!).url);

  const agent = new Agent({ keepAlive: true, maxSockets: WORKERS });
  const outcomes: Outcome[] = [];
  let sigtermSentAt = 0;
  let inFlightAtSigterm = 0;
  let inFlight = 0;
  let stop = false;
  let processGone = false;
  void exited.then(() => {
    processGone = true;
  });

  async function worker(index: number): Promise<void> {
    let i = 0;
    while (!stop) {
      const offset = ((index * 97 + i++ * 13) % 14) * 100;
      inFlight++;
      const outcome = await get(agent, base, `/external/v1/encounters?limit=100&offset=${offset}`, secret);
      inFlight--;
      outcomes.push(outcome);
      // After the listener closed, new connections are refused: this worker is done.
      if (outcome.kind === 'refused' || (processGone && outcome.kind !== 'response')) return;
    }
  }

  const workers = Array.from({ length: WORKERS }, (_, index) => worker(index));
  await new Promise((resolve) => setTimeout(resolve, LOAD_BEFORE_SIGTERM_MS));
  const beforeSigterm = outcomes.length;
  inFlightAtSigterm = inFlight;
  sigtermSentAt = performance.now();
  child.kill('SIGTERM');
  const exit = await exited;
  const shutdownMs = performance.now() - sigtermSentAt;
  stop = true;
  await Promise.all(workers);
  agent.destroy();

  const responses = outcomes.filter((o): o is Extract<Outcome, { kind: 'response' }> => o.kind === 'response');
  const ok = responses.filter((o) => o.status >= 200 && o.status < 300 && o.complete);
  // A request sent on an open connection that ends without a response failed in flight just as much as a 5xx.
  const failed = [
    ...responses.filter((o) => !(o.status >= 200 && o.status < 300 && o.complete)),
    ...outcomes.filter((o) => o.kind === 'reset'),
  ];
  const refused = outcomes.filter((o) => o.kind === 'refused').length;
  const resets = outcomes.filter((o) => o.kind === 'reset');

  // Every record the server wrote, read after it exited.
  const after = openStore(database.url);
  const audit = await after.db.selectFrom('audit_events').selectAll().orderBy('id').execute();
  const chains = await verifyLedger(after.db, () => keyring);
  await after.close();
  const requestRecords = audit.filter((row) => row.event === 'request');

  console.log(
    [
      'SIGTERM under load:',
      `  workers (keep-alive connections)     ${WORKERS}`,
      `  responses before SIGTERM             ${beforeSigterm}`,
      `  requests in flight at SIGTERM        ${inFlightAtSigterm}`,
      `  responses received in total          ${responses.length} (complete 2xx: ${ok.length})`,
      `  failed in-flight requests            ${failed.length}`,
      `  refused after the listener closed    ${refused}`,
      `    of which reset without a response    ${resets.length}${resets.length ? ` [${[...new Set(resets.map((r) => r.code))].join(', ')}]` : ''}`,
      `  audit 'request' records              ${requestRecords.length}`,
      `  lost audit records                   ${responses.length - requestRecords.length}`,
      `  shutdown took                        ${Math.round(shutdownMs)} ms, exit code ${exit.code}, signal ${exit.signal}`,
    ].join('\n'),
  );

  expect(exit, stderr).toEqual({ code: 0, signal: null });
  expect(beforeSigterm).toBeGreaterThan(50);
  expect(inFlightAtSigterm).toBeGreaterThan(0);
  expect(failed).toEqual([]);
  expect(ok.length).toBe(responses.length);
  // Zero lost: one record per response received, and none for a request that got no response (which would mean
  // the server processed it and the client never saw the answer).
  expect(requestRecords).toHaveLength(responses.length);
  expect(requestRecords.every((row) => row.status === 200 && row.route_id === 'list_encounters')).toBe(true);
  // One process, one chain, intact.
  expect(chains).toHaveLength(1);
  expect(chains[0]).toMatchObject({ records: audit.length });
  expect(chains[0]!.broken).toBeUndefined();
  expect(stderr).not.toMatch(/shutdown failed|error/i);
}, 120_000);
