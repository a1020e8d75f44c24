/**
 * `npm run bench`: the whole benchmark, in one run on one machine, end to end. See bench/README.md.
 *
 * The server under test runs in a child process (bench/server-process.ts), the load generator (autocannon) in this
 * one; with two or more cores each is pinned to a core of its own (taskset; BENCH_PIN=0 turns that off).
 *
 * Environment: BENCH_QUICK=1 (a ~2-minute smoke run with short phases and a 50 000-encounter "large" set),
 * BENCH_PG_URL (default postgres://127.0.0.1:5432/test; a scratch database is created and dropped there),
 * BENCH_SKIP_PG=1, BENCH_CONNECTIONS (default 16), BENCH_STORM_SHARE (default 0.5), BENCH_PIN=0.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Dataset, generateDataset, postgresReachable } from './generate.js';
import { describeMachine } from './machine.js';
import { runMicroAuth } from './micro-auth.js';
import { authPhase } from './phases/auth.js';
import { memoryPhase } from './phases/memory.js';
import { scalingFor } from './phases/scaling.js';
import { log, PG_URL, QUICK, SETTINGS } from './phases/shared.js';
import { stormPhase } from './phases/storm.js';
import { throughputPhase } from './phases/throughput.js';
import { type BenchResults, evaluateTargets, renderReport } from './report.js';
import { apiEnv, children, PIN, pin, preflight, type ServerHandle, startServerProcess } from './servers.js';

const here = dirname(fileURLToPath(import.meta.url));

async function main(): Promise<void> {
  const started = performance.now();
  pin(process.pid, 0);
  const pgReachable = PG_URL !== null && (await postgresReachable(PG_URL));
  const machine = await describeMachine(pgReachable ? PG_URL : null);
  log(
    `ChartHero benchmark ${QUICK ? '(QUICK smoke run) ' : ''}— ${machine.cpus} × ${machine.cpuModel}, ` +
      `${machine.memoryGiB} GiB, Node ${machine.node}, load average ${machine.loadAverageStart.toFixed(2)}` +
      (PIN ? ', server on core 1, load generator on core 0' : ', not pinned'),
  );
  if (PG_URL !== null && !pgReachable) log(`!! PostgreSQL not reachable at ${PG_URL}: its rows are skipped`);

  const open: Dataset[] = [];
  const servers: ServerHandle[] = [];
  const cleanup = async () => {
    await Promise.all(servers.map((server) => server.stop().catch(() => {})));
    await Promise.all(open.map((dataset) => dataset.drop().catch(() => {})));
  };
  process.once('SIGINT', () => {
    log('interrupted: stopping servers and dropping data sets');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    log(`key verification micro-benchmark (${SETTINGS.microCalls} calls)…`);
    const micro = await runMicroAuth({ calls: SETTINGS.microCalls });
    log(
      `  steps 2–10 on a cache hit: p50 ${micro.verifyHit.p50Us.toFixed(1)} µs, p99 ${micro.verifyHit.p99Us.toFixed(1)} µs`,
    );

    log(`generating sqlite ${SETTINGS.smallEncounters}-encounter data set for the throughput phases…`);
    const dataset = await generateDataset({ dialect: 'sqlite', encounters: SETTINGS.smallEncounters });
    open.push(dataset);
    // --expose-gc only lets the memory phase ask for a full collection at its window's two ends.
    const api = await startServerProcess('api', apiEnv(dataset), undefined, ['--expose-gc']);
    servers.push(api);
    const bodies = await preflight(api, dataset);
    const bare = await startServerProcess(
      'bare',
      {},
      {
        encounter: bodies.detail,
        list: bodies.list,
        transcript: bodies.transcript,
      },
    );
    servers.push(bare);

    const throughput = await throughputPhase(api, bare, dataset);
    await bare.stop();
    const auth = await authPhase(api, dataset);
    const validRate = throughput.find((row) => row.id === 'get_encounter')!.requestsPerSecond;
    const stormInterference = await stormPhase(api, dataset, validRate);
    const memory = await memoryPhase(api, dataset);
    await api.stop();
    await dataset.drop();

    const scaling: BenchResults['scaling'] = { sqlite: await scalingFor('sqlite', open), postgres: null };
    if (pgReachable) scaling.postgres = await scalingFor('postgres', open);

    machine.loadAverageEnd = os.loadavg()[0]!;
    const results: BenchResults = {
      machine,
      settings: { ...SETTINGS, pinned: PIN, postgresUrl: pgReachable ? PG_URL : null },
      durationSeconds: (performance.now() - started) / 1000,
      throughput,
      auth: { micro, endToEnd: auth },
      stormInterference,
      memory,
      scaling,
      targets: [],
    };
    results.targets = evaluateTargets(results);
    const dir = join(here, 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${machine.date.replace(/[:.]/g, '-')}${QUICK ? '-quick' : ''}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`\n${renderReport(results)}\n`);
    log(`raw results: ${file}  (${results.durationSeconds.toFixed(0)} s)`);
  } finally {
    await cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
});
