/**
 * One load run with autocannon, measured the way the tables need it:
 * - requests/s counts only responses with the expected status (anything else is reported and fails the run);
 * - latency percentiles come from every response's own duration (autocannon's histogram rounds to whole
 *   milliseconds, too coarse for sub-millisecond differences);
 * - the server's CPU use (from /proc/<pid>/stat) and the load generator's own, so a reader can tell which side was
 *   the bottleneck.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon, { type AutocannonRequest } from 'autocannon';

export interface LoadSpec {
  url: string;
  connections: number;
  durationSeconds: number;
  /** Statuses that count as success for this scenario (default [200]). */
  expect?: number[];
  headers?: Record<string, string>;
  /** A fixed path, or a function giving each request's path and headers. */
  path?: string;
  next?: () => { path: string; headers?: Record<string, string> };
  /** A bursty per-second rate cap across all connections (autocannon's overallRate); closed loop when absent. */
  overallRate?: number;
  /** The server process, for its CPU use. */
  serverPid?: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  meanMs: number;
  /** Responses with the expected status. */
  ok: number;
  /** Status code → count, for everything received. */
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  seconds: number;
  /** Share of one core the server used (1 = one core fully busy). */
  serverCpu: number | null;
  /**
   * Server CPU time per successful response, in µs. Unlike req/s this hardly depends on whether the server got its
   * core to itself, so it is the figure to compare on a busy machine.
   */
  serverCpuUsPerRequest: number | null;
  /** Share of one core the load generator used. */
  loaderCpu: number;
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process, in seconds (Linux). */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** Resident set size of a process in bytes (Linux), from /proc/<pid>/status. */
export function residentBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

/** A growable buffer of latencies (ms), cheap enough to fill at tens of thousands of responses a second. */
class Samples {
  private values = new Float64Array(1 << 16);
  length = 0;
  push(value: number) {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = value;
  }
  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

export interface RunningLoad {
  done: Promise<LoadResult>;
  stop(): void;
}

export function startLoad(spec: LoadSpec): RunningLoad {
  const expect = new Set(spec.expect ?? [200]);
  const samples = new Samples();
  const statuses: Record<string, number> = {};
  let ok = 0;
  const request: AutocannonRequest = { method: 'GET', path: spec.path ?? '/' };
  if (spec.next) {
    const next = spec.next;
    request.setupRequest = (current) => {
      const { path, headers } = next();
      return { ...current, path, headers: headers ? { ...spec.headers, ...headers } : current.headers };
    };
  }
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationSeconds,
    headers: spec.headers ?? {},
    requests: [request],
    timeout: 30,
    ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    if (expect.has(statusCode)) {
      ok++;
      samples.push(responseTime);
    }
  });
  const serverCpuStart = spec.serverPid ? processCpuSeconds(spec.serverPid) : null;
  const loaderStart = process.cpuUsage();
  const started = performance.now();
  const done = (async (): Promise<LoadResult> => {
    const result = await instance;
    const seconds = (performance.now() - started) / 1000;
    const loader = process.cpuUsage(loaderStart);
    const serverCpuEnd = spec.serverPid ? processCpuSeconds(spec.serverPid) : null;
    const sorted = samples.sorted();
    let sum = 0;
    for (const value of sorted) sum += value;
    return {
      requestsPerSecond: ok / seconds,
      p50Ms: percentile(sorted, 0.5),
      p90Ms: percentile(sorted, 0.9),
      p99Ms: percentile(sorted, 0.99),
      p999Ms: percentile(sorted, 0.999),
      meanMs: sorted.length ? sum / sorted.length : Number.NaN,
      ok,
      statuses,
      errors: result.errors,
      timeouts: result.timeouts,
      seconds,
      serverCpu: serverCpuStart !== null && serverCpuEnd !== null ? (serverCpuEnd - serverCpuStart) / seconds : null,
      serverCpuUsPerRequest:
        serverCpuStart !== null && serverCpuEnd !== null && ok > 0
          ? ((serverCpuEnd - serverCpuStart) / ok) * 1e6
          : null,
      loaderCpu: (loader.user + loader.system) / 1e6 / seconds,
    };
  })();
  return { done, stop: () => instance.stop() };
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return startLoad(spec).done;
}

/** Whether a run is clean: only expected statuses, no socket errors or timeouts. */
export function loadProblems(result: LoadResult, expect: number[] = [200]): string[] {
  const problems: string[] = [];
  for (const [status, count] of Object.entries(result.statuses)) {
    if (!expect.includes(Number(status))) problems.push(`${count} responses with status ${status}`);
  }
  if (result.errors) problems.push(`${result.errors} connection errors`);
  if (result.timeouts) problems.push(`${result.timeouts} timeouts`);
  if (result.ok === 0) problems.push('no successful response');
  return problems;
}
