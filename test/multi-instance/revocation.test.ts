/**
 * Two real `charthero serve` processes on one database: a key revoked or disabled with the real CLI is refused by
 * both within 1 second of the command returning (CONTRACT.md section 3.2), and never served again afterwards.
 * Runs on a SQLite file always, and on PostgreSQL too when TEST_DATABASE_URL is set.
 *
 * Propagation is measured from the CLI process's exit to the first 401 each instance answers (probing every 20 ms,
 * so a figure is an upper bound by up to one probe); a refusal seen before the CLI exited counts as 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueKey } from '../../src/access/issue-key.js';
import { loadKeyring } from '../../src/access/keyring-source.js';
import { loadConfig } from '../../src/config.js';
import { SCOPES } from '../../src/contract/routes.js';
import { openStore, type Store } from '../../src/store/db.js';
import { type FreshDatabase, freshDatabase, testPostgresUrl } from '../support/database.js';
import { type CliResult, cliCommand, cliJson, runCli, type ServerProcess, startServerProcess } from './processes.js';

const REVOCATIONS = 6;
const DISABLES = 3;
const LIMIT_MS = 1000;
const PROBE_EVERY_MS = 20;
const SERVED: Probe = { status: 200, reason: null };

const dialects = testPostgresUrl() ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

interface Probe {
  status: number;
  reason: string | null;
}

async function probe(url: string, secret: string): Promise<Probe> {
  try {
    const response = await fetch(`${url}/external/v1/encounters?limit=1`, {
      headers: { authorization: `Bearer ${secret}` },
      signal: AbortSignal.timeout(2000),
    });
    const body = (await response.json()) as { reason_code?: string };
    return { status: response.status, reason: body.reason_code ?? null };
  } catch (error) {
    return { status: 0, reason: String(error) };
  }
}

interface Measurement {
  /** Per instance: ms from the CLI's exit to its first refusal (negative: refused before the CLI exited). */
  raw: number[];
  /** The slower instance, clamped at 0: this run's propagation time. */
  propagationMs: number;
  /** The slower instance, from the CLI's confirmation line (printed after the commit, before the process exits). */
  fromConfirmationMs: number;
  unexpected: string[];
}

/**
 * Probes every instance every 20 ms while `action` runs, until each answers `expected` instead of `before` (or 3 s
 * pass), then keeps probing for 300 ms to prove the new state sticks (no cached old state comes back).
 */
async function measure(
  servers: readonly ServerProcess[],
  secret: string,
  before: Probe,
  expected: Probe,
  action: () => Promise<CliResult>,
): Promise<Measurement> {
  const same = (a: Probe, b: Probe) => a.status === b.status && a.reason === b.reason;
  const first: (number | undefined)[] = servers.map(() => undefined);
  const unexpected: string[] = [];
  let running = true;
  const loops = servers.map(async (server, index) => {
    while (running) {
      const started = performance.now();
      const result = await probe(server.url, secret);
      const at = performance.now();
      if (same(result, expected)) first[index] ??= at;
      else if (first[index] !== undefined) {
        unexpected.push(`instance ${index} answered ${result.status} ${result.reason} after the change had reached it`);
      } else if (!same(result, before)) unexpected.push(`instance ${index} answered ${result.status} ${result.reason}`);
      await sleep(Math.max(0, PROBE_EVERY_MS - (performance.now() - started)));
    }
  });
  const cli = await action();
  try {
    expect(cli.code, cli.stderr).toBe(0);
    const deadline = cli.exitedAt + 3000;
    while (first.some((at) => at === undefined) && performance.now() < deadline) await sleep(2);
    await sleep(300);
  } finally {
    running = false;
    await Promise.all(loops);
  }
  const raw = first.map((at) => (at === undefined ? Number.POSITIVE_INFINITY : Math.round(at - cli.exitedAt)));
  const printedAt = cli.printedAt ?? cli.exitedAt;
  const fromConfirmation = first.map((at) => (at === undefined ? Number.POSITIVE_INFINITY : at - printedAt));
  return {
    raw,
    propagationMs: Math.max(0, ...raw),
    fromConfirmationMs: Math.round(Math.max(0, ...fromConfirmation)),
    unexpected,
  };
}

function summary(values: readonly number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, worst: sorted[sorted.length - 1]!, runs: values };
}

describe.each(dialects)('two serve processes on one %s database', (dialect) => {
  let dir: string;
  let database: FreshDatabase;
  let env: Record<string, string>;
  let servers: ServerProcess[] = [];
  let store: Store;
  const newKey = async () => {
    const config = loadConfig(env);
    const issued = await issueKey(store.db, loadKeyring(config), {
      environment: config.keyEnvironment,
      organizationId: 'org_multi',
      scopes: SCOPES,
      name: 'multi-instance',
      expiresAtMs: null,
      rateLimitPerSecond: 0, // Probing at 50/s must not meet the default per-key limit.
    });
    return { id: issued.row.id, secret: issued.secret };
  };
  const warm = async (secret: string) => {
    for (let round = 0; round < 2; round++) {
      for (const server of servers) expect(await probe(server.url, secret)).toEqual(SERVED);
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'charthero-multi-'));
    database = await freshDatabase(dir, dialect);
    env = {
      CHARTHERO_ENVIRONMENT: 'sandbox',
      CHARTHERO_DATABASE_URL: database.url,
      CHARTHERO_DIGEST_KEYS_FILE: join(dir, 'digest-keys.json'),
      CHARTHERO_AUDIO_STORAGE: `file:${join(dir, 'audio')}`,
      // Each measurement polls a revoked or disabled key from this one address far past the throttle's budget.
      CHARTHERO_AUTH_FAILURE_LIMIT: '0',
    };
    await cliJson(['keyring', 'create', env.CHARTHERO_DIGEST_KEYS_FILE!], env);
    await cliJson(['org', 'create', '--name', 'Multi-instance', '--id', 'org_multi'], env);
    await cliJson(['org', 'allowlist', 'org_multi'], env);
    await cliJson(['org', 'routes', 'org_multi', '--enable', 'all'], env);
    servers = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    store = openStore(database.url);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await store?.close();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`refuses a revoked key on both instances within ${LIMIT_MS} ms of \`charthero key revoke\``, async () => {
    const runs: Measurement[] = [];
    for (let run = 0; run < REVOCATIONS; run++) {
      const key = await newKey();
      await warm(key.secret);
      runs.push(
        await measure(servers, key.secret, SERVED, { status: 401, reason: 'revoked_key' }, () =>
          runCli(['key', 'revoke', key.id, '--json'], env),
        ),
      );
    }
    const stats = summary(runs.map((run) => run.propagationMs));
    const confirmed = summary(runs.map((run) => run.fromConfirmationMs));
    console.log(
      `[multi-instance ${dialect}, ${cliCommand().build} CLI] revoke → 401 revoked_key on both instances, ` +
        `${REVOCATIONS} runs, from the CLI returning: median ${stats.median} ms, worst ${stats.worst} ms ` +
        `(per run ${JSON.stringify(stats.runs)}; per instance, signed ${JSON.stringify(runs.map((r) => r.raw))}); ` +
        `from the CLI's confirmation line: median ${confirmed.median} ms, worst ${confirmed.worst} ms`,
    );
    expect(runs.flatMap((run) => run.unexpected)).toEqual([]);
    expect(stats.worst).toBeLessThan(LIMIT_MS);
  }, 120_000);

  it(`refuses a disabled key within ${LIMIT_MS} ms of \`charthero key disable\`, and serves it again after \`key enable\``, async () => {
    const disabled: Measurement[] = [];
    const enabled: Measurement[] = [];
    for (let run = 0; run < DISABLES; run++) {
      const key = await newKey();
      await warm(key.secret);
      disabled.push(
        await measure(servers, key.secret, SERVED, { status: 401, reason: 'disabled_key' }, () =>
          runCli(['key', 'disable', key.id, '--json'], env),
        ),
      );
      enabled.push(
        await measure(servers, key.secret, { status: 401, reason: 'disabled_key' }, SERVED, () =>
          runCli(['key', 'enable', key.id, '--json'], env),
        ),
      );
    }
    const off = summary(disabled.map((run) => run.propagationMs));
    const on = summary(enabled.map((run) => run.propagationMs));
    console.log(
      `[multi-instance ${dialect}] disable → 401 disabled_key, ${DISABLES} runs: median ${off.median} ms, worst ${off.worst} ms ` +
        `(${JSON.stringify(off.runs)}); enable → 200: median ${on.median} ms, worst ${on.worst} ms (${JSON.stringify(on.runs)})`,
    );
    expect([...disabled, ...enabled].flatMap((run) => run.unexpected)).toEqual([]);
    expect(off.worst).toBeLessThan(LIMIT_MS);
    expect(on.worst).toBeLessThan(LIMIT_MS);
  }, 120_000);
});
