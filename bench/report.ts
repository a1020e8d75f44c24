/**
 * The results of a run and their tables (Markdown, ratios first, absolute numbers second). `npm run bench` prints
 * them at the end; a saved run renders again with
 *   node --import tsx bench/report.ts bench/results/<file>.json
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { LoadResult } from './load.js';
import type { Machine } from './machine.js';
import type { MicroAuthResult } from './micro-auth.js';

export interface ThroughputRow {
  id: string;
  label: string;
  /** The id of the bare-Fastify row this one is compared with. */
  ceiling: string | null;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  serverCpu: number;
  loaderCpu: number;
  serverCpuUsPerRequest: number;
  ratioToCeiling: number | null;
  /** Ceiling's server CPU per request ÷ this row's: the req/s ratio a server with a core to itself would show. */
  cpuRatioToCeiling: number | null;
  rounds: LoadResult[];
}

export interface Summary {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface StormInterference {
  stormAchievedRate: number;
  withStorm: Summary;
  /** 1 − valid req/s during the storm ÷ valid req/s alone. */
  throughputLoss: number;
  /** valid p99 during the storm ÷ valid p99 alone − 1. */
  p99Growth: number;
  rounds: { withStorm: LoadResult[]; storm: LoadResult[] };
}

export interface ScalingPoint extends Summary {
  encounters: number;
  offset: number | null;
}

export interface ScalingRow {
  dialect: 'sqlite' | 'postgres';
  scenario: 'list_first' | 'list_deep' | 'get_encounter';
  small: ScalingPoint;
  large: ScalingPoint;
  p99Ratio: number;
  p50Ratio: number;
  generateSeconds?: { small: number; large: number };
  rounds: { small: LoadResult[]; large: LoadResult[] };
}

export interface Target {
  target: string;
  measured: string;
  pass: boolean | null;
}

export interface BenchResults {
  machine: Machine;
  settings: Record<string, unknown>;
  durationSeconds: number;
  throughput: ThroughputRow[];
  auth: {
    micro: MicroAuthResult;
    endToEnd: {
      real: Summary & { meanMs: number };
      bypass: Summary & { meanMs: number };
      p50DeltaMs: number;
      p99DeltaMs: number;
      meanDeltaMs: number;
      rounds: Record<'real' | 'bypass', LoadResult[]>;
    };
  };
  stormInterference: {
    stormTargetRate: number;
    alone: Summary;
    aloneRounds: LoadResult[];
    /** Random keys, each from an address of its own: every request pays the digest and the miss. */
    many: StormInterference;
    /** Random keys from one address: throttled (429, step 5a) past its 20 failures in 10 s. */
    one: StormInterference;
  };
  memory: {
    seconds: number;
    windowSeconds: number;
    requestsPerSecond: number;
    firstWindowRssMiB: number;
    lastWindowRssMiB: number;
    growth: number;
    firstWindowHeapMiB: number;
    lastWindowHeapMiB: number;
    /** Heap used right after a full collection, before and after the sampled window (absent in older runs). */
    retainedHeapMiB?: { before: number; after: number };
    samples: { second: number; rssBytes: number; heapUsedBytes: number }[];
  };
  scaling: { sqlite: ScalingRow[]; postgres: ScalingRow[] | null };
  targets: Target[];
}

export function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const ratio = (value: number) => `${value.toFixed(2)}×`;
const ms = (value: number) => value.toFixed(value < 10 ? 2 : 1);
const us = (value: number) => value.toFixed(value < 100 ? 1 : 0);
const rps = (value: number) => Math.round(value).toLocaleString('en-US');
const pct = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value * 100).toFixed(1)}%`;
const cpu = (value: number) => (Number.isNaN(value) ? '–' : `${Math.round(value * 100)}%`);
const size = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));

export const TARGETS = {
  getEncounterRatio: 0.5,
  verifyP99Ms: 1,
  listP99Growth: 1.5,
  stormSlowdown: 0.2,
  throttledStormLoss: 0.05,
  memoryGrowth: 0.05,
  /** Issue 14, the hot path: server CPU time per request against the bare ceiling serving the same body. */
  hotPathCpuRatio: { get_encounter: 0.3, list_encounters: 0.4, get_transcript: 0.7 } as Record<string, number>,
  invalidKeyCpuUs: 60,
  stormSlowdownHotPath: 0.15,
  postgresGetEncounterCpu: 1.5,
};

/** The issue-14 rows: CPU-time ratios per route, the 401's cost, the storm, PostgreSQL against SQLite. */
function hotPathTargets(results: BenchResults): Target[] {
  const targets: Target[] = [];
  for (const [id, minimum] of Object.entries(TARGETS.hotPathCpuRatio)) {
    const row = results.throughput.find((candidate) => candidate.id === id);
    if (row?.cpuRatioToCeiling == null) continue;
    targets.push({
      target: `${row.label}: CPU-time × its ceiling ≥ ${minimum.toFixed(2)}×`,
      // Three decimals: a ratio just under its target must not print as the target itself.
      measured: `${row.cpuRatioToCeiling.toFixed(3)}×`,
      pass: row.cpuRatioToCeiling >= minimum,
    });
  }
  const invalid = results.throughput.find((row) => row.id === 'invalid_key_storm');
  if (invalid) {
    targets.push({
      target: `401 invalid_key (random keys) ≤ ${TARGETS.invalidKeyCpuUs} µs of server CPU`,
      measured: `${us(invalid.serverCpuUsPerRequest)} µs`,
      pass: invalid.serverCpuUsPerRequest <= TARGETS.invalidKeyCpuUs,
    });
  }
  const storm = results.stormInterference.many;
  targets.push({
    target: `invalid-key storm (many addresses) costs valid traffic ≤ ${TARGETS.stormSlowdownHotPath * 100}% req/s`,
    measured: `req/s ${pct(-storm.throughputLoss)}`,
    pass: storm.throughputLoss <= TARGETS.stormSlowdownHotPath,
  });
  const smallGetCpu = (rows: ScalingRow[] | null) => {
    const row = rows?.find((candidate) => candidate.scenario === 'get_encounter');
    return row ? median(row.rounds.small.map((r) => r.serverCpuUsPerRequest ?? Number.NaN)) : Number.NaN;
  };
  const sqliteCpu = smallGetCpu(results.scaling.sqlite);
  const postgresCpu = smallGetCpu(results.scaling.postgres);
  targets.push(
    Number.isNaN(postgresCpu)
      ? { target: 'postgres get_encounter server CPU', measured: 'not measured (PostgreSQL unreachable)', pass: null }
      : {
          target: `postgres get_encounter server CPU ≤ ${TARGETS.postgresGetEncounterCpu}× sqlite's (10k, scaling phase)`,
          measured: `${Math.round(postgresCpu)} vs ${Math.round(sqliteCpu)} µs (${ratio(postgresCpu / sqliteCpu)})`,
          pass: postgresCpu / sqliteCpu <= TARGETS.postgresGetEncounterCpu,
        },
  );
  return targets;
}

export function evaluateTargets(results: BenchResults): Target[] {
  const targets: Target[] = [];
  const get = results.throughput.find((row) => row.id === 'get_encounter');
  if (get?.ratioToCeiling != null) {
    // Both readings must clear the bar: req/s (what the issue asks) and CPU time per request (which holds when the
    // load generator, not the bare server, limited the ceiling, or when the machine was busy).
    const cpuRatio = get.cpuRatioToCeiling ?? Number.NaN;
    targets.push({
      target: `get_encounter ≥ ${TARGETS.getEncounterRatio * 100}% of the bare-Fastify ceiling`,
      measured: `${(get.ratioToCeiling * 100).toFixed(0)}% by req/s, ${(cpuRatio * 100).toFixed(0)}% by CPU time`,
      pass: get.ratioToCeiling >= TARGETS.getEncounterRatio && cpuRatio >= TARGETS.getEncounterRatio,
    });
  }
  const micro = results.auth.micro.verifyHit;
  const e2e = results.auth.endToEnd;
  targets.push({
    target: `key verification adds ≤ ${TARGETS.verifyP99Ms} ms at p99 on a cache hit`,
    // The in-process figure decides (it isolates the cost, call by call); the end-to-end difference is a
    // cross-check, within the run's noise (see the README).
    measured: `in-process p99 ${us(micro.p99Us)} µs (end-to-end cross-check: p99 Δ ${ms(e2e.p99DeltaMs)} ms)`,
    pass: micro.p99Us <= TARGETS.verifyP99Ms * 1000,
  });
  for (const rows of [results.scaling.sqlite, results.scaling.postgres]) {
    for (const row of rows ?? []) {
      if (row.scenario === 'get_encounter') continue;
      targets.push({
        target: `${row.dialect} ${row.scenario === 'list_first' ? 'list' : 'deep list'} p99 ${size(row.small.encounters)} → ${size(row.large.encounters)} ≤ ${TARGETS.listP99Growth}×`,
        measured: ratio(row.p99Ratio),
        pass: row.p99Ratio <= TARGETS.listP99Growth,
      });
    }
  }
  if (!results.scaling.postgres) {
    targets.push({ target: 'postgres list p99 growth', measured: 'not measured (PostgreSQL unreachable)', pass: null });
  }
  const storm = results.stormInterference.many;
  targets.push({
    target: `invalid-key storm (many addresses) slows valid traffic ≤ ${TARGETS.stormSlowdown * 100}%`,
    measured: `req/s ${pct(-storm.throughputLoss)}, p99 ${pct(storm.p99Growth)}`,
    pass: storm.throughputLoss <= TARGETS.stormSlowdown && storm.p99Growth <= TARGETS.stormSlowdown,
  });
  const throttled = results.stormInterference.one;
  targets.push({
    target: `invalid-key storm from one address costs valid traffic from another ≤ ${TARGETS.throttledStormLoss * 100}% req/s`,
    measured: `req/s ${pct(-throttled.throughputLoss)}`,
    pass: throttled.throughputLoss <= TARGETS.throttledStormLoss,
  });
  const memory = results.memory;
  targets.push({
    target: `RSS flat over ${memory.seconds} s (last ${memory.windowSeconds} s vs first, ≤ ${pct(TARGETS.memoryGrowth)})`,
    measured: pct(memory.growth),
    pass: memory.growth <= TARGETS.memoryGrowth,
  });
  return [...targets, ...hotPathTargets(results)];
}

export function renderReport(results: BenchResults): string {
  const m = results.machine;
  const s = results.settings;
  const lines: string[] = [];
  const out = (line = '') => lines.push(line);
  out(`### Run of ${m.date.slice(0, 10)}${s.quick ? ' — QUICK smoke run (short phases, small "large" set)' : ''}`);
  out();
  out(
    `${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.os}, Node ${m.node}, SQLite ${m.sqlite}, ` +
      `PostgreSQL ${m.postgres ?? 'not measured'}${m.revision ? `; commit ${m.revision}` : ''}. ${s.pinned ? 'Server pinned to core 1, load generator to core 0' : 'Not pinned'}; ` +
      `${s.connections} connections; load average ${m.loadAverageStart.toFixed(2)} at start, ` +
      `${m.loadAverageEnd?.toFixed(2) ?? '?'} at end; ${Math.round(results.durationSeconds)} s in all.`,
  );
  out();

  out(`#### Throughput against the framework's own ceiling (SQLite, ${size(Number(s.smallEncounters))} encounters)`);
  out();
  out(
    '| scenario | req/s × its ceiling | CPU-time × | req/s | p50 ms | p99 ms | server CPU µs/req | server CPU | loader CPU |',
  );
  out('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of results.throughput) {
    const vs = row.ratioToCeiling === null ? '(ceiling)' : `${ratio(row.ratioToCeiling)}`;
    const cpuVs = row.cpuRatioToCeiling == null ? '' : ratio(row.cpuRatioToCeiling);
    out(
      `| ${row.label} | ${vs} | ${cpuVs} | ${rps(row.requestsPerSecond)} | ${ms(row.p50Ms)} | ${ms(row.p99Ms)} | ` +
        `${Math.round(row.serverCpuUsPerRequest)} | ${cpu(row.serverCpu)} | ${cpu(row.loaderCpu)} |`,
    );
  }
  out();
  out(
    `Each API row is compared with the bare-Fastify row serving the same body (the 401 storm with the encounter ` +
      `body); ratios are the median over ${s.throughputRounds} interleaved rounds of ${s.throughputSeconds} s. ` +
      '"CPU-time ×" is the ceiling\'s server CPU time per request divided by the route\'s: the req/s ratio a ' +
      'server with its core to itself would show, and the figure to trust when the machine was busy.',
  );
  const saturated = results.throughput.filter((row) => row.ratioToCeiling === null && row.loaderCpu > 0.9);
  if (saturated.length) {
    out(
      `Note: the load generator was at ≥ 90% of its core for ${saturated.map((row) => row.label).join(', ')}; ` +
        'that ceiling is a lower bound, so ratios against it are upper bounds.',
    );
  }
  out();

  const micro = results.auth.micro;
  const e2e = results.auth.endToEnd;
  out('#### Key verification on a cache hit');
  out();
  out('| measure | p50 | p99 | p99.9 | mean |');
  out('|---|---:|---:|---:|---:|');
  const microRow = (label: string, d: MicroAuthResult['verifyHit']) =>
    out(`| ${label} | ${us(d.p50Us)} µs | ${us(d.p99Us)} µs | ${us(d.p999Us)} µs | ${us(d.meanUs)} µs |`);
  microRow('steps 2–10 (bearer → scopes), in-process, warm cache', micro.verifyHit);
  microRow('step 7 alone: `requireKnownKey` + `requireUsableKey` (digest, 2 LRU reads, state)', micro.lookupHit);
  microRow('one HMAC-SHA256 digest', micro.digest);
  microRow('miss: random well-formed key → 401 invalid_key', micro.verifyMiss);
  out(
    `| end to end, get_encounter, 1 connection: real − bypassed digest+lookup | ${ms(e2e.p50DeltaMs)} ms | ` +
      `${ms(e2e.p99DeltaMs)} ms | | ${ms(e2e.meanDeltaMs)} ms |`,
  );
  out();
  out(
    `End to end: real p50/p99 ${ms(e2e.real.p50Ms)}/${ms(e2e.real.p99Ms)} ms (${rps(e2e.real.requestsPerSecond)} req/s), ` +
      `bypassed ${ms(e2e.bypass.p50Ms)}/${ms(e2e.bypass.p99Ms)} ms (${rps(e2e.bypass.requestsPerSecond)} req/s).`,
  );
  out();

  const storm = results.stormInterference;
  out(
    `#### Invalid-key storm against valid traffic (storm ${rps(storm.stormTargetRate)} req/s asked ` +
      `= ${Math.round(Number(s.stormShare) * 100)}% of get_encounter's req/s; from many addresses ` +
      `${rps(storm.many.stormAchievedRate)} req/s of 401 achieved, from one ${rps(storm.one.stormAchievedRate)} req/s)`,
  );
  out();
  out('| valid get_encounter traffic | change | req/s | p50 ms | p99 ms |');
  out('|---|---:|---:|---:|---:|');
  out(`| alone | | ${rps(storm.alone.requestsPerSecond)} | ${ms(storm.alone.p50Ms)} | ${ms(storm.alone.p99Ms)} |`);
  for (const [label, row] of [
    ['during the storm from many addresses (each request a digest and a miss)', storm.many],
    ['during the storm from one address (429 from step 5a past 20 failures)', storm.one],
  ] as const) {
    out(
      `| ${label} | req/s ${pct(-row.throughputLoss)}, p99 ${pct(row.p99Growth)} | ` +
        `${rps(row.withStorm.requestsPerSecond)} | ${ms(row.withStorm.p50Ms)} | ${ms(row.withStorm.p99Ms)} |`,
    );
  }
  out();

  const cost401 = results.throughput.find((row) => row.id === 'invalid_key_storm')?.serverCpuUsPerRequest;
  const costValid = results.throughput.find((row) => row.id === 'get_encounter')?.serverCpuUsPerRequest;
  if (cost401 && costValid) {
    out(
      `CPU model, independent of machine noise: a 401 costs the server ${Math.round(cost401)} µs of CPU, a valid ` +
        `get_encounter ${Math.round(costValid)} µs (${ratio(cost401 / costValid)}); on a saturated server a storm of ` +
        `${rps(storm.many.stormAchievedRate)} req/s takes ${((storm.many.stormAchievedRate * cost401) / 1e4).toFixed(0)}% of the core, ` +
        'which is the share of throughput the valid traffic loses.',
    );
    out();
  }
  const costBare = results.throughput.find((row) => row.id === 'ceiling_encounter')?.serverCpuUsPerRequest;
  if (costBare && costValid) {
    // The storm runs at a share of the valid req/s, so even a 401 costing only what Fastify needs to answer at all
    // (the bare route) takes share × bare ÷ valid of the core: the floor under any storm target.
    const share = Number(s.stormShare);
    const detailTarget = TARGETS.hotPathCpuRatio.get_encounter!;
    out(
      `Floor: a 401 that cost no more than the bare route's response (${Math.round(costBare)} µs) would still cost ` +
        `the valid traffic ${((share * costBare * 100) / costValid).toFixed(1)}% of its req/s (${share} × ` +
        `${Math.round(costBare)} ÷ ${Math.round(costValid)} µs). The cheaper a valid request, the higher that ` +
        `floor: with get_encounter exactly at its ${detailTarget}× target it is ${(share * detailTarget * 100).toFixed(0)}%.`,
    );
    out();
  }
  out('#### Data size scaling');
  out();
  out(
    '| database | request | p99 × | p50 × | CPU-time × | p99 ms small → large | p50 ms small → large | req/s small → large | server CPU µs/req small → large |',
  );
  out('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const rows of [results.scaling.sqlite, results.scaling.postgres]) {
    for (const row of rows ?? []) {
      const what =
        row.scenario === 'get_encounter'
          ? 'get_encounter (random id)'
          : `list limit=${s.listLimit} offset=${row.small.offset}${row.large.offset !== row.small.offset ? `/${row.large.offset}` : ''}`;
      const cpuSmall = median(row.rounds.small.map((r) => r.serverCpuUsPerRequest ?? Number.NaN));
      const cpuLarge = median(row.rounds.large.map((r) => r.serverCpuUsPerRequest ?? Number.NaN));
      out(
        `| ${row.dialect} ${size(row.small.encounters)} → ${size(row.large.encounters)} | ${what} | ${ratio(row.p99Ratio)} | ` +
          `${ratio(row.p50Ratio)} | ${ratio(cpuLarge / cpuSmall)} | ${ms(row.small.p99Ms)} → ${ms(row.large.p99Ms)} | ` +
          `${ms(row.small.p50Ms)} → ${ms(row.large.p50Ms)} | ` +
          `${rps(row.small.requestsPerSecond)} → ${rps(row.large.requestsPerSecond)} | ${Math.round(cpuSmall)} → ${Math.round(cpuLarge)} |`,
      );
    }
  }
  if (!results.scaling.postgres) out('| postgres | – | not measured: PostgreSQL was not reachable | | | | | | |');
  out();
  out(
    `${s.scalingConnections} connections, median of ${s.scalingRounds} interleaved rounds of ${s.scalingSeconds} s; ` +
      'both sizes are served at once by two server processes, so machine noise hits both alike. "CPU-time ×" is the ' +
      "large set's server CPU time per request over the small set's (the PostgreSQL server's own CPU is not in it).",
  );
  out();

  const memory = results.memory;
  out(`#### Memory under ${memory.seconds} s of sustained mixed load (${rps(memory.requestsPerSecond)} req/s)`);
  out();
  const retained = memory.retainedHeapMiB;
  out(
    `| RSS growth | RSS first ${memory.windowSeconds} s | RSS last ${memory.windowSeconds} s | heap first → last | ` +
      'heap retained after a full GC, start → end |',
  );
  out('|---:|---:|---:|---:|---:|');
  out(
    `| ${pct(memory.growth)} | ${memory.firstWindowRssMiB.toFixed(1)} MiB | ${memory.lastWindowRssMiB.toFixed(1)} MiB | ` +
      `${memory.firstWindowHeapMiB.toFixed(1)} → ${memory.lastWindowHeapMiB.toFixed(1)} MiB | ` +
      `${retained ? `${retained.before.toFixed(1)} → ${retained.after.toFixed(1)} MiB (${pct(retained.after / retained.before - 1)})` : '–'} |`,
  );
  out();
  out(
    'Heap figures are means of per-second samples and include garbage V8 has not collected yet; the retained heap ' +
      'is measured right after a forced full collection, so it is the one that tells a leak from lazy collection.',
  );
  out();

  out('#### Targets');
  out();
  out('| target | measured | result |');
  out('|---|---|---|');
  for (const target of results.targets) {
    out(
      `| ${target.target} | ${target.measured} | ${target.pass === null ? '–' : target.pass ? 'met' : '**missed**'} |`,
    );
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node --import tsx bench/report.ts bench/results/<file>.json');
  const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  results.targets = evaluateTargets(results); // with this checkout's target rules
  console.log(renderReport(results));
}
