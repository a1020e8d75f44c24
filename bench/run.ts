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
import { type BenchDialect, type Dataset, DEFAULT_PG_URL, generateDataset, postgresReachable } from './generate.js';
import { type LoadResult, type LoadSpec, loadProblems, residentBytes, runLoad, startLoad } from './load.js';
import { describeMachine } from './machine.js';
import { runMicroAuth } from './micro-auth.js';
import { BARE_PATHS } from './protocol.js';
import {
  type BenchResults,
  evaluateTargets,
  median,
  renderReport,
  type ScalingRow,
  type StormInterference,
  type Summary,
  type ThroughputRow,
} from './report.js';
import {
  apiEnv,
  apiRequests,
  children,
  cycle,
  deepOffset,
  ENCOUNTERS_PATH,
  LIST_LIMIT,
  MAX_OFFSET,
  PIN,
  pin,
  preflight,
  type ServerHandle,
  STORM_ADDRESS,
  startServerProcess,
  strangerHeaders,
} from './servers.js';

const here = dirname(fileURLToPath(import.meta.url));
const env = process.env;
const QUICK = env.BENCH_QUICK === '1';
const CONNECTIONS = Number(env.BENCH_CONNECTIONS || 16);
const PG_URL = env.BENCH_SKIP_PG === '1' ? null : env.BENCH_PG_URL || DEFAULT_PG_URL;

/** Every knob of a run, recorded in the results. */
export const SETTINGS = {
  quick: QUICK,
  connections: CONNECTIONS,
  warmupSeconds: QUICK ? 1 : 3,
  throughputRounds: QUICK ? 1 : 3,
  throughputSeconds: QUICK ? 2 : 5,
  authRounds: QUICK ? 1 : 3,
  authSeconds: QUICK ? 2 : 4,
  stormRounds: QUICK ? 1 : 2,
  stormSeconds: QUICK ? 2 : 6,
  /** Storm rate as a share of the valid get_encounter req/s measured in the throughput phase. */
  stormShare: Number(env.BENCH_STORM_SHARE || 0.5),
  stormConnections: 8,
  memorySeconds: QUICK ? 12 : 60,
  memoryWarmupSeconds: QUICK ? 2 : 10,
  smallEncounters: 10_000,
  largeEncounters: QUICK ? 50_000 : 1_000_000,
  scalingRounds: QUICK ? 1 : 2,
  scalingSeconds: QUICK ? 2 : 5,
  scalingConnections: 8,
  microCalls: QUICK ? 20_000 : 200_000,
  listLimit: LIST_LIMIT,
  maxOffset: MAX_OFFSET,
};

const log = (line: string) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------------------------
// Phases

async function measured(label: string, spec: LoadSpec): Promise<LoadResult> {
  const result = await runLoad(spec);
  const problems = loadProblems(result, spec.expect);
  if (problems.length) throw new Error(`${label}: ${problems.join(', ')}`);
  log(
    `  ${label.padEnd(34)} ${result.requestsPerSecond.toFixed(0).padStart(7)} req/s  p50 ${result.p50Ms.toFixed(2)} ms` +
      `  p99 ${result.p99Ms.toFixed(2)} ms  server CPU ${((result.serverCpu ?? 0) * 100).toFixed(0)}%` +
      ` (${(result.serverCpuUsPerRequest ?? 0).toFixed(0)} µs/req)` +
      `  loader CPU ${(result.loaderCpu * 100).toFixed(0)}%`,
  );
  return result;
}

async function warmup(spec: LoadSpec): Promise<void> {
  await runLoad({ ...spec, durationSeconds: SETTINGS.warmupSeconds });
}

interface Scenario {
  id: string;
  label: string;
  ceiling?: string;
  spec: LoadSpec;
}

async function throughputPhase(api: ServerHandle, bare: ServerHandle, dataset: Dataset): Promise<ThroughputRow[]> {
  const requests = apiRequests(dataset);
  const base = { connections: CONNECTIONS, durationSeconds: SETTINGS.throughputSeconds };
  const storm = cycle(strangerHeaders(50_000));
  const scenarios: Scenario[] = [
    {
      id: 'ceiling_encounter',
      label: 'bare Fastify, encounter body',
      spec: { ...base, url: bare.url, path: BARE_PATHS.encounter, serverPid: bare.pid },
    },
    {
      id: 'get_encounter',
      label: 'get_encounter (valid key)',
      ceiling: 'ceiling_encounter',
      spec: { ...base, url: api.url, headers: requests.headers, next: requests.detail, serverPid: api.pid },
    },
    {
      id: 'ceiling_list',
      label: 'bare Fastify, list body (100 items)',
      spec: { ...base, url: bare.url, path: BARE_PATHS.list, serverPid: bare.pid },
    },
    {
      id: 'list_encounters',
      label: `list_encounters limit=${SETTINGS.listLimit}`,
      ceiling: 'ceiling_list',
      spec: { ...base, url: api.url, headers: requests.headers, path: requests.listFirst, serverPid: api.pid },
    },
    {
      id: 'ceiling_transcript',
      label: `bare Fastify, transcript body`,
      spec: { ...base, url: bare.url, path: BARE_PATHS.transcript, serverPid: bare.pid },
    },
    {
      id: 'get_transcript',
      label: `get_transcript (${dataset.transcript.turns} turns)`,
      ceiling: 'ceiling_transcript',
      spec: { ...base, url: api.url, headers: requests.headers, path: requests.transcript, serverPid: api.pid },
    },
    {
      id: 'invalid_key_storm',
      label: '401 invalid_key (random keys)',
      ceiling: 'ceiling_encounter',
      spec: {
        ...base,
        url: api.url,
        expect: [401],
        next: () => ({ path: requests.detailPath(), headers: storm() }),
        serverPid: api.pid,
      },
    },
  ];
  log(`throughput: ${scenarios.length} scenarios × ${SETTINGS.throughputRounds} rounds, ${CONNECTIONS} connections`);
  for (const scenario of scenarios) await warmup(scenario.spec);
  const rounds: Record<string, LoadResult[]> = {};
  for (let round = 0; round < SETTINGS.throughputRounds; round++) {
    for (const scenario of scenarios) {
      const result = await measured(`[${round + 1}] ${scenario.label}`, scenario.spec);
      rounds[scenario.id] = [...(rounds[scenario.id] ?? []), result];
    }
  }
  return scenarios.map((scenario) => {
    const runs = rounds[scenario.id]!;
    const ceilingRuns = scenario.ceiling ? rounds[scenario.ceiling]! : undefined;
    return {
      id: scenario.id,
      label: scenario.label,
      ceiling: scenario.ceiling ?? null,
      requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
      p50Ms: median(runs.map((r) => r.p50Ms)),
      p99Ms: median(runs.map((r) => r.p99Ms)),
      serverCpu: median(runs.map((r) => r.serverCpu ?? Number.NaN)),
      loaderCpu: median(runs.map((r) => r.loaderCpu)),
      serverCpuUsPerRequest: median(runs.map((r) => r.serverCpuUsPerRequest ?? Number.NaN)),
      cpuRatioToCeiling: ceilingRuns
        ? median(
            runs.map(
              (r, i) => (ceilingRuns[i]!.serverCpuUsPerRequest ?? Number.NaN) / (r.serverCpuUsPerRequest ?? Number.NaN),
            ),
          )
        : null,
      // The ratio of each round to the ceiling measured in the same round, then the median of those.
      ratioToCeiling: ceilingRuns
        ? median(runs.map((r, i) => r.requestsPerSecond / ceilingRuns[i]!.requestsPerSecond))
        : null,
      rounds: runs,
    };
  });
}

async function authPhase(api: ServerHandle, dataset: Dataset): Promise<BenchResults['auth']['endToEnd']> {
  const requests = apiRequests(dataset);
  const spec: LoadSpec = {
    url: api.url,
    connections: 1,
    durationSeconds: SETTINGS.authSeconds,
    headers: requests.headers,
    next: requests.detail,
    serverPid: api.pid,
  };
  log(`key verification, end to end: get_encounter, 1 connection, real vs bypassed digest+lookup`);
  const runs: Record<'real' | 'bypass', LoadResult[]> = { real: [], bypass: [] };
  for (let round = 0; round < SETTINGS.authRounds; round++) {
    const order: ('real' | 'bypass')[] = round % 2 === 0 ? ['real', 'bypass'] : ['bypass', 'real'];
    for (const mode of order) {
      await api.ask({ type: 'verification', mode }, 'ack');
      if (round === 0) await warmup(spec);
      runs[mode].push(await measured(`[${round + 1}] verification ${mode}`, spec));
    }
  }
  await api.ask({ type: 'verification', mode: 'real' }, 'ack');
  const summary = (list: LoadResult[]) => ({
    requestsPerSecond: median(list.map((r) => r.requestsPerSecond)),
    p50Ms: median(list.map((r) => r.p50Ms)),
    p99Ms: median(list.map((r) => r.p99Ms)),
    meanMs: median(list.map((r) => r.meanMs)),
  });
  const real = summary(runs.real);
  const bypass = summary(runs.bypass);
  return {
    real,
    bypass,
    p50DeltaMs: real.p50Ms - bypass.p50Ms,
    p99DeltaMs: real.p99Ms - bypass.p99Ms,
    meanDeltaMs: real.meanMs - bypass.meanMs,
    rounds: runs,
  };
}

async function stormPhase(
  api: ServerHandle,
  dataset: Dataset,
  validRate: number,
): Promise<BenchResults['stormInterference']> {
  const requests = apiRequests(dataset);
  const valid: LoadSpec = {
    url: api.url,
    connections: CONNECTIONS,
    durationSeconds: SETTINGS.stormSeconds,
    headers: requests.headers,
    next: requests.detail,
    serverPid: api.pid,
  };
  const stormRate = Math.max(1, Math.round(validRate * SETTINGS.stormShare));
  const strangers = cycle(strangerHeaders(50_000));
  const storm: LoadSpec = {
    url: api.url,
    connections: SETTINGS.stormConnections,
    durationSeconds: SETTINGS.stormSeconds,
    expect: [401],
    overallRate: stormRate,
    next: () => ({ path: requests.detailPath(), headers: strangers() }),
  };
  // The same storm from one address: past its 20 failures in 10 s, step 5a answers 429 without a digest or a read.
  const keys = cycle(strangerHeaders(50_000).map((headers) => headers.authorization!));
  const oneAddress: LoadSpec = {
    ...storm,
    expect: [401, 429],
    next: () => ({ path: requests.detailPath(), headers: { authorization: keys(), 'x-forwarded-for': STORM_ADDRESS } }),
  };
  log(
    `invalid-key storm interference: valid get_encounter (${CONNECTIONS} conns) alone vs with ${stormRate} req/s storm ` +
      'from many addresses, and from one',
  );
  const alone: LoadResult[] = [];
  const during: Record<'many' | 'one', LoadResult[]> = { many: [], one: [] };
  const storms: Record<'many' | 'one', LoadResult[]> = { many: [], one: [] };
  for (let round = 0; round < SETTINGS.stormRounds; round++) {
    alone.push(await measured(`[${round + 1}] valid alone`, valid));
    for (const [variant, spec, statuses] of [
      ['many', storm, [401]],
      ['one', oneAddress, [401, 429]],
    ] as const) {
      const stormLoad = startLoad(spec);
      during[variant].push(await measured(`[${round + 1}] valid during the storm from ${variant}`, valid));
      storms[variant].push(await stormLoad.done);
      const problems = loadProblems(storms[variant].at(-1)!, [...statuses]);
      if (problems.length) throw new Error(`storm from ${variant}: ${problems.join(', ')}`);
      log(
        `  [${round + 1}] storm from ${variant} achieved ${storms[variant].at(-1)!.requestsPerSecond.toFixed(0)} req/s`,
      );
    }
  }
  const summary = (runs: LoadResult[]): Summary => ({
    requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
  });
  const aloneSummary = summary(alone);
  const interference = (variant: 'many' | 'one'): StormInterference => {
    const withStorm = summary(during[variant]);
    return {
      stormAchievedRate: median(storms[variant].map((r) => r.requestsPerSecond)),
      withStorm,
      throughputLoss: 1 - withStorm.requestsPerSecond / aloneSummary.requestsPerSecond,
      p99Growth: withStorm.p99Ms / aloneSummary.p99Ms - 1,
      rounds: { withStorm: during[variant], storm: storms[variant] },
    };
  };
  return {
    stormTargetRate: stormRate,
    alone: aloneSummary,
    aloneRounds: alone,
    many: interference('many'),
    one: interference('one'),
  };
}

async function memoryPhase(api: ServerHandle, dataset: Dataset): Promise<BenchResults['memory']> {
  const requests = apiRequests(dataset);
  const strangers = cycle(strangerHeaders(50_000));
  const deepest = deepOffset(dataset);
  // A mix of everything: per 20 requests, 10 detail, 5 list pages at random offsets, 1 transcript, 4 invalid keys.
  let counter = 0;
  const next = () => {
    const slot = counter++ % 20;
    if (slot < 10) return { path: requests.detailPath() };
    if (slot < 15) {
      const offset = Math.floor((Math.random() * deepest) / 100) * 100;
      return { path: `${ENCOUNTERS_PATH}?limit=${SETTINGS.listLimit}&offset=${offset}` };
    }
    if (slot < 16) return { path: requests.transcript };
    return { path: requests.detailPath(), headers: strangers() };
  };
  const seconds = SETTINGS.memorySeconds;
  log(`memory: ${SETTINGS.memoryWarmupSeconds} s of mixed load, then ${seconds} s more with RSS sampled every second`);
  const samples: { second: number; rssBytes: number; heapUsedBytes: number }[] = [];
  const spec: LoadSpec = {
    url: api.url,
    connections: CONNECTIONS,
    durationSeconds: seconds,
    headers: requests.headers,
    next,
    expect: [200, 401],
    serverPid: api.pid,
  };
  // The same mix first, unsampled: the heap settles from the earlier phases before the first window opens.
  await runLoad({ ...spec, durationSeconds: SETTINGS.memoryWarmupSeconds });
  const load = startLoad(spec);
  const started = performance.now();
  const sampler = setInterval(async () => {
    const second = Math.round((performance.now() - started) / 1000);
    const rss = residentBytes(api.pid);
    const { usage } = await api.ask({ type: 'memory' }, 'memory');
    if (rss !== null && second <= seconds) samples.push({ second, rssBytes: rss, heapUsedBytes: usage.heapUsed });
  }, 1000);
  const result = await load.done;
  clearInterval(sampler);
  const problems = loadProblems(result, [200, 401]);
  if (problems.length) throw new Error(`memory load: ${problems.join(', ')}`);
  const window = seconds / 3;
  const mean = (list: number[]) => list.reduce((a, b) => a + b, 0) / list.length;
  const first = samples.filter((s) => s.second <= window);
  const last = samples.filter((s) => s.second > seconds - window);
  const firstMean = mean(first.map((s) => s.rssBytes));
  const lastMean = mean(last.map((s) => s.rssBytes));
  log(
    `  RSS first ${window} s ${(firstMean / 2 ** 20).toFixed(1)} MiB, last ${window} s ${(lastMean / 2 ** 20).toFixed(1)} MiB` +
      ` (${result.requestsPerSecond.toFixed(0)} req/s)`,
  );
  return {
    seconds,
    windowSeconds: window,
    requestsPerSecond: result.requestsPerSecond,
    firstWindowRssMiB: firstMean / 2 ** 20,
    lastWindowRssMiB: lastMean / 2 ** 20,
    growth: lastMean / firstMean - 1,
    firstWindowHeapMiB: mean(first.map((s) => s.heapUsedBytes)) / 2 ** 20,
    lastWindowHeapMiB: mean(last.map((s) => s.heapUsedBytes)) / 2 ** 20,
    samples,
  };
}

async function scalingPhase(
  dialect: BenchDialect,
  datasets: Record<'small' | 'large', Dataset>,
): Promise<ScalingRow[]> {
  const servers = {
    small: await startServerProcess('api', apiEnv(datasets.small)),
    large: await startServerProcess('api', apiEnv(datasets.large)),
  };
  try {
    for (const size of ['small', 'large'] as const) await preflight(servers[size], datasets[size]);
    const specs = (size: 'small' | 'large') => {
      const requests = apiRequests(datasets[size]);
      const base = {
        url: servers[size].url,
        connections: SETTINGS.scalingConnections,
        durationSeconds: SETTINGS.scalingSeconds,
        headers: requests.headers,
        serverPid: servers[size].pid,
      };
      return {
        list_first: { ...base, path: requests.listFirst },
        list_deep: { ...base, path: requests.listDeep },
        get_encounter: { ...base, next: requests.detail },
      } satisfies Record<string, LoadSpec>;
    };
    const scenarios = ['list_first', 'list_deep', 'get_encounter'] as const;
    log(`scaling (${dialect}): ${datasets.small.encounters} vs ${datasets.large.encounters} encounters`);
    for (const scenario of scenarios)
      for (const size of ['small', 'large'] as const) await warmup(specs(size)[scenario]);
    const runs: Record<string, LoadResult[]> = {};
    for (let round = 0; round < SETTINGS.scalingRounds; round++) {
      for (const scenario of scenarios) {
        for (const size of ['small', 'large'] as const) {
          const label = `[${round + 1}] ${dialect} ${scenario} ${datasets[size].encounters}`;
          const result = await measured(label, specs(size)[scenario]);
          runs[`${scenario}/${size}`] = [...(runs[`${scenario}/${size}`] ?? []), result];
        }
      }
    }
    return scenarios.map((scenario) => {
      const at = (size: 'small' | 'large') => {
        const list = runs[`${scenario}/${size}`]!;
        return {
          encounters: datasets[size].encounters,
          offset:
            scenario === 'list_deep'
              ? deepOffset(datasets[size])
              : scenario === 'list_first'
                ? 0
                : (null as number | null),
          requestsPerSecond: median(list.map((r) => r.requestsPerSecond)),
          p50Ms: median(list.map((r) => r.p50Ms)),
          p99Ms: median(list.map((r) => r.p99Ms)),
        };
      };
      const small = at('small');
      const large = at('large');
      return {
        dialect,
        scenario,
        small,
        large,
        p99Ratio: large.p99Ms / small.p99Ms,
        p50Ratio: large.p50Ms / small.p50Ms,
        rounds: { small: runs[`${scenario}/small`]!, large: runs[`${scenario}/large`]! },
      };
    });
  } finally {
    await servers.small.stop();
    await servers.large.stop();
  }
}

async function scalingFor(dialect: BenchDialect, open: Dataset[]): Promise<ScalingRow[]> {
  log(`generating ${dialect} data sets…`);
  const small = await generateDataset({
    dialect,
    encounters: SETTINGS.smallEncounters,
    postgresUrl: PG_URL ?? undefined,
  });
  open.push(small);
  const large = await generateDataset({
    dialect,
    encounters: SETTINGS.largeEncounters,
    postgresUrl: PG_URL ?? undefined,
  });
  open.push(large);
  log(`  ${large.encounters} encounters generated in ${large.generateSeconds.toFixed(1)} s`);
  try {
    const rows = await scalingPhase(dialect, { small, large });
    for (const row of rows) {
      row.generateSeconds = { small: small.generateSeconds, large: large.generateSeconds };
    }
    return rows;
  } finally {
    await small.drop();
    await large.drop();
  }
}

// ---------------------------------------------------------------------------------------------------------------

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
    const api = await startServerProcess('api', apiEnv(dataset));
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
