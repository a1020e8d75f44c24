/**
 * Invalid-key storm interference: valid get_encounter alone, then during a rate-limited storm of random keys from
 * many addresses, and during the same storm from one address.
 */
import type { Dataset } from '../generate.js';
import { type LoadResult, type LoadSpec, loadProblems, startLoad } from '../load.js';
import { type BenchResults, median, type StormInterference, type Summary } from '../report.js';
import { apiRequests, cycle, type ServerHandle, STORM_ADDRESS, strangerHeaders } from '../servers.js';
import { CONNECTIONS, log, measured, SETTINGS } from './shared.js';

export async function stormPhase(
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
