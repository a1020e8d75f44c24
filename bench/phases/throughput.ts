/** Throughput: each API route against the bare-Fastify server serving the same body, in interleaved rounds. */
import type { Dataset } from '../generate.js';
import type { LoadResult, LoadSpec } from '../load.js';
import { BARE_PATHS } from '../protocol.js';
import { median, type ThroughputRow } from '../report.js';
import { apiRequests, cycle, type ServerHandle, strangerHeaders } from '../servers.js';
import { CONNECTIONS, log, measured, SETTINGS, warmup } from './shared.js';

interface Scenario {
  id: string;
  label: string;
  ceiling?: string;
  spec: LoadSpec;
}

export async function throughputPhase(
  api: ServerHandle,
  bare: ServerHandle,
  dataset: Dataset,
): Promise<ThroughputRow[]> {
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
