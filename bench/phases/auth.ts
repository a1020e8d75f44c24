/** Key verification end to end: get_encounter on one connection, real vs bypassed digest and lookup (A/B rounds). */
import type { Dataset } from '../generate.js';
import type { LoadResult, LoadSpec } from '../load.js';
import { type BenchResults, median } from '../report.js';
import { apiRequests, type ServerHandle } from '../servers.js';
import { log, measured, SETTINGS, warmup } from './shared.js';

export async function authPhase(api: ServerHandle, dataset: Dataset): Promise<BenchResults['auth']['endToEnd']> {
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
