/**
 * What every phase of `npm run bench` shares: the run's settings (from the environment, recorded in the results),
 * the progress log on stderr, and one measured or warm-up load run.
 */
import { DEFAULT_PG_URL } from '../generate.js';
import { type LoadResult, type LoadSpec, loadProblems, runLoad } from '../load.js';
import { LIST_LIMIT, MAX_OFFSET } from '../servers.js';

const env = process.env;
export const QUICK = env.BENCH_QUICK === '1';
export const CONNECTIONS = Number(env.BENCH_CONNECTIONS || 16);
export const PG_URL = env.BENCH_SKIP_PG === '1' ? null : env.BENCH_PG_URL || DEFAULT_PG_URL;

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

export const log = (line: string) => process.stderr.write(`${line}\n`);

/** One load run that counts: any unexpected status stops the whole benchmark; its figures go to the log. */
export async function measured(label: string, spec: LoadSpec): Promise<LoadResult> {
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

/** The same load for a short while, unmeasured: caches, JIT and connections settle before the rounds. */
export async function warmup(spec: LoadSpec): Promise<void> {
  await runLoad({ ...spec, durationSeconds: SETTINGS.warmupSeconds });
}
