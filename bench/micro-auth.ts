/**
 * What key verification costs on a cache hit, measured in-process, call by call.
 *
 * The measured unit is `authenticate` of src/pipeline.ts: steps 2–10 of the order of checks (bearer, kill switch,
 * format and checksum, keyring, digest + cached lookup + state, organization, rate limit, route and scopes),
 * against the real access directory over a real SQLite store, with its cache warm. Each call is timed on its own
 * (hrtime), so the percentiles include whatever a call occasionally pays (GC, cache bookkeeping). For comparison
 * the same is done for the digest alone (one HMAC-SHA256) and for the miss path of a random well-formed key
 * (digest + one indexed query + 401 invalid_key), which is what every request of an invalid-key storm pays.
 *
 *   node --import tsx bench/micro-auth.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAccessDirectory } from '../src/access/access-directory.js';
import { requireKnownKey, requireUsableKey } from '../src/access/authenticate.js';
import { keyDigest, newestEntry } from '../src/access/digest-keyring.js';
import { issueKey } from '../src/access/issue-key.js';
import { generateKey } from '../src/access/key-format.js';
import { createKeyringSource } from '../src/access/keyring-source.js';
import { loadConfig } from '../src/config.js';
import { PublicError } from '../src/contract/errors.js';
import { ROUTE_IDS, routeById, SCOPES } from '../src/contract/routes.js';
import { createAuthFailureThrottle } from '../src/limits/auth-failure-throttle.js';
import { createMemoryRateLimiter } from '../src/limits/rate-limiter.js';
import { authenticate, emptyTrace } from '../src/pipeline.js';
import { openStore } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { insertOrganization } from '../src/store/organizations.js';
import { percentile } from './load.js';

export interface Distribution {
  calls: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

export interface MicroAuthResult {
  /** Steps 2–10 with a warm cache: what a valid request pays before its query is parsed. */
  verifyHit: Distribution;
  /** Step 7 alone: `requireKnownKey` + `requireUsableKey` (digest, two LRU reads, state checks). */
  lookupHit: Distribution;
  /** One HMAC-SHA256 of a token. */
  digest: Distribution;
  /** A random well-formed key: format check, digest, indexed miss, 401 invalid_key. */
  verifyMiss: Distribution;
}

function distribution(times: Float64Array): Distribution {
  const sorted = times.slice().sort();
  let sum = 0;
  for (const t of sorted) sum += t;
  const us = (ns: number) => ns / 1000;
  return {
    calls: sorted.length,
    meanUs: us(sum / sorted.length),
    p50Us: us(percentile(sorted, 0.5)),
    p99Us: us(percentile(sorted, 0.99)),
    p999Us: us(percentile(sorted, 0.999)),
    maxUs: us(sorted[sorted.length - 1]!),
  };
}

async function timeEach(calls: number, body: (i: number) => unknown): Promise<Float64Array> {
  const times = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const start = process.hrtime.bigint();
    await body(i);
    times[i] = Number(process.hrtime.bigint() - start);
  }
  return times;
}

export async function runMicroAuth(options: { calls: number }): Promise<MicroAuthResult> {
  const dir = mkdtempSync(join(tmpdir(), 'charthero-bench-micro-'));
  const config = loadConfig({
    CHARTHERO_DATABASE_URL: `sqlite:${join(dir, 'charthero.sqlite')}`,
    CHARTHERO_DIGEST_KEYS_FILE: join(dir, 'digest-keys.json'),
    CHARTHERO_AUDIO_STORAGE: `file:${join(dir, 'audio')}`,
  });
  const { createKeyringFile } = await import('../src/access/digest-keyring.js');
  const keyring = createKeyringFile(config.digestKeysFile);
  const store = openStore(config.databaseUrl);
  await migrate(store);
  await insertOrganization(store.db, {
    id: 'org_bench',
    name: 'Benchmark Clinic',
    allowlisted: 1,
    api_keys_enabled: 1,
    rate_limit_per_second: 0,
    enabled_routes: ROUTE_IDS.join(','),
    state_version: 1,
    created_at_ms: Date.now(),
  });
  // Many keys in the table, so the miss path's indexed lookup is not on a toy table.
  for (let i = 0; i < 1000; i++) {
    await issueKey(store.db, keyring, {
      environment: 'test',
      organizationId: 'org_bench',
      scopes: SCOPES,
      name: `k${i}`,
      expiresAtMs: null,
      rateLimitPerSecond: 0,
    });
  }
  const { secret } = await issueKey(store.db, keyring, {
    environment: 'test',
    organizationId: 'org_bench',
    scopes: SCOPES,
    name: 'bench',
    expiresAtMs: null,
    rateLimitPerSecond: 0,
  });
  const directory = createAccessDirectory(store.db, { environment: config.keyEnvironment });
  await directory.start();
  const source = createKeyringSource(config);
  const rateLimiter = createMemoryRateLimiter();
  const route = routeById('get_encounter');
  const authorization = [`Bearer ${secret}`];

  const authFailures = createAuthFailureThrottle(config.authFailureLimit);
  const deps = { config, keyring: source, directory, rateLimiter, authFailures, now: Date.now };
  // Steps 2–10: the pipeline's own function.
  const verify = (authorizationValues: readonly string[], clientAddress = '127.0.0.1') =>
    authenticate(deps, route, { authorization: authorizationValues, clientAddress }, emptyTrace());

  try {
    const warm = Math.min(20_000, options.calls);
    await timeEach(warm, () => verify(authorization));
    const verifyHit = distribution(await timeEach(options.calls, () => verify(authorization)));
    const ring = source.get();
    const lookupHit = distribution(
      await timeEach(options.calls, async () =>
        requireUsableKey(await requireKnownKey(directory, secret, ring), Date.now()),
      ),
    );
    const entry = newestEntry(ring);
    const digest = distribution(await timeEach(options.calls, () => keyDigest(entry, secret)));
    const missCalls = Math.max(1000, Math.round(options.calls / 10));
    const strangers = Array.from({ length: missCalls }, () => [`Bearer ${generateKey('test')}`]);
    const verifyMiss = distribution(
      await timeEach(missCalls, async (i) => {
        try {
          // Each from an address of its own: a storm from many addresses, which the throttle never stops.
          await verify(strangers[i]!, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
          throw new Error('a random key verified');
        } catch (error) {
          if (!(error instanceof PublicError) || error.code !== 'invalid_key') throw error;
        }
      }),
    );
    return { verifyHit, lookupHit, digest, verifyMiss };
  } finally {
    await directory.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await runMicroAuth({ calls: Number(process.argv[2] ?? 200_000) }), null, 2));
}
