/**
 * Where a scenario's server time goes: runs the API server with `--cpu-prof` under one scenario's load, then
 * prints the functions and the packages with the most self time. The .cpuprofile is kept for Chrome DevTools.
 *
 *   node --import tsx bench/profile.ts get_encounter|list|transcript|storm|throttled [seconds=10] [--no-profile]
 *     [--postgres]
 *
 * With --no-profile it only measures (req/s, latency, server CPU time per request): a quick before/after check.
 * With --postgres the data set lives in a scratch PostgreSQL database (BENCH_PG_URL) instead of a SQLite file.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset } from './generate.js';
import { runLoad } from './load.js';
import { apiEnv, pin, preflight, scenarioLoads, startServerProcess } from './servers.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

/** Groups a script URL: a package, a project file, or Node's own code. */
function owner(url: string): string {
  if (url === '') return '(native / V8)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  const project = /\/(src|bench)\/(.+)$/.exec(url);
  if (project) return `${project[1]}/${project[2]}`;
  if (url.startsWith('node:')) return 'node core';
  return url;
}

export function summarize(profile: Profile, top = 25): string {
  const total = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${owner(url)}:${lineNumber + 1}` : '';
    const name = `${functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    byOwner.set(owner(url), (byOwner.get(owner(url)) ?? 0) + hits);
  }
  const table = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, hits]) => `${((hits / total) * 100).toFixed(1).padStart(5)}%  ${name}`)
      .join('\n');
  return `self time by package or file:\n${table(byOwner, 15)}\n\nself time by function:\n${table(byFunction, top)}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  const profiling = !process.argv.includes('--no-profile');
  const dialect = process.argv.includes('--postgres') ? 'postgres' : 'sqlite';
  const scenario = args[0] ?? 'get_encounter';
  const seconds = Number(args[1] ?? 10);
  pin(process.pid, 0);
  const dataset = await generateDataset({ dialect, encounters: 10_000 });
  const profileDir = mkdtempSync(join(tmpdir(), 'charthero-profile-'));
  const profileFlags = profiling ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const api = await startServerProcess('api', apiEnv(dataset), undefined, profileFlags);
  try {
    await preflight(api, dataset);
    const specs = scenarioLoads(api, dataset, seconds);
    const spec = specs[scenario];
    if (!spec) throw new Error(`unknown scenario ${scenario}; one of ${Object.keys(specs).join(', ')}`);
    const result = await runLoad(spec);
    console.log(
      `${scenario}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, ` +
        `p99 ${result.p99Ms.toFixed(2)} ms, server CPU ${((result.serverCpu ?? 0) * 100).toFixed(0)}% ` +
        `(${(result.serverCpuUsPerRequest ?? 0).toFixed(0)} µs per request)`,
    );
  } finally {
    await api.stop();
    await dataset.drop();
  }
  if (!profiling) return;
  // One profile per thread (tsx's module-loader thread writes one too): the main thread's is the largest.
  const files = readdirSync(profileDir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(profileDir, name))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  const path = files[0];
  if (!path) throw new Error(`no profile written in ${profileDir}`);
  console.log(`${summarize(JSON.parse(readFileSync(path, 'utf8')) as Profile)}\n\nprofile: ${path}`);
}

await main();
