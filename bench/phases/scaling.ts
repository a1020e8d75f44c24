/** Scaling: list and detail reads on a small and a large data set of one dialect, each served by its own process. */
import { type BenchDialect, type Dataset, generateDataset } from '../generate.js';
import type { LoadResult, LoadSpec } from '../load.js';
import { median, type ScalingRow } from '../report.js';
import { apiEnv, apiRequests, deepOffset, preflight, startServerProcess } from '../servers.js';
import { log, measured, PG_URL, SETTINGS, warmup } from './shared.js';

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

/** Generates one dialect's small and large data sets, runs the scaling phase on them, and drops them again. */
export async function scalingFor(dialect: BenchDialect, open: Dataset[]): Promise<ScalingRow[]> {
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
