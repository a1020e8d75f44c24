/** Memory: a mixed load with the server's RSS and heap sampled every second, first window against last. */
import type { Dataset } from '../generate.js';
import { type LoadSpec, loadProblems, residentBytes, runLoad, startLoad } from '../load.js';
import type { BenchResults } from '../report.js';
import { apiRequests, cycle, deepOffset, ENCOUNTERS_PATH, type ServerHandle, strangerHeaders } from '../servers.js';
import { CONNECTIONS, log, SETTINGS } from './shared.js';

export async function memoryPhase(api: ServerHandle, dataset: Dataset): Promise<BenchResults['memory']> {
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
  // What the heap retains after a full collection, at the window's two ends: RSS also moves with when V8 chooses
  // to collect, this does not, so it tells a leak from garbage not yet collected.
  const retainedBefore = (await api.ask({ type: 'retained-memory' }, 'memory')).usage.heapUsed;
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
  const retainedAfter = (await api.ask({ type: 'retained-memory' }, 'memory')).usage.heapUsed;
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
    retainedHeapMiB: { before: retainedBefore / 2 ** 20, after: retainedAfter / 2 ** 20 },
    samples,
  };
}
