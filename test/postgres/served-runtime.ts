import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { expect } from 'vitest';
import { createKeyringFile } from '../../src/access/digest-keyring.js';
import { issueKey } from '../../src/access/issue-key.js';
import { loadKeyring } from '../../src/access/keyring-source.js';
import { type Config, loadConfig } from '../../src/config.js';
import { SCOPES } from '../../src/contract/routes.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { FreshDatabase } from '../support/database.js';
import { ALPHA_ASC, ALPHA_DESC, ENCOUNTERS, encounters, OK_BODY } from '../support/expected.js';
import { type Fixture, loadFixture } from '../support/fixture.js';

export const TIMEOUT_MS = 1000;
/** "Quickly": well under the 3 s a client might wait, whatever the timeout path (connect, statement or read). */
export const FAST_MS = 3000;

export interface Served {
  url: string;
  status: number;
  reason: string | null;
  error: string | null;
  body: unknown;
  ms: number;
  /** The whole body of an error response (null for a 2xx). */
  errorBody: unknown;
  retryAfter: string | null;
}

/** The one body every datastore outage answers with (CONTRACT.md section 2), written out as an oracle. */
export const DATASTORE_UNAVAILABLE_BODY = {
  error: 'public_api_unavailable',
  reason_code: 'datastore_unavailable',
  message: 'The datastore is temporarily unavailable.',
  field: null,
};

export interface Setup {
  dir: string;
  database: FreshDatabase;
  config: Config;
  runtime: Runtime;
  fixture: Fixture;
  /** A key without a rate limit (the fixture's keys have the default one), for bursts of requests. */
  secret: string;
  logs: string[];
}

export async function startRuntime(
  database: FreshDatabase,
  dir: string,
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<Setup> {
  const config = loadConfig({
    CHARTHERO_DATABASE_URL: databaseUrl,
    CHARTHERO_DIGEST_KEYS_FILE: join(dir, 'digest-keys.json'),
    CHARTHERO_AUDIO_STORAGE: `file:${join(dir, 'audio')}`,
    CHARTHERO_PUBLIC_BASE_URL: 'http://127.0.0.1:8080',
    CHARTHERO_DATASTORE_TIMEOUT_MS: String(TIMEOUT_MS),
    LOG_LEVEL: 'info',
    ...env,
  });
  createKeyringFile(config.digestKeysFile);
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }) as FastifyBaseLogger;
  const runtime = await createRuntime(config, { logger });
  const fixture = await loadFixture(runtime, config, dir);
  const { secret } = await issueKey(runtime.store.db, loadKeyring(config), {
    environment: config.keyEnvironment,
    organizationId: 'org_alpha',
    scopes: SCOPES,
    name: 'outage',
    expiresAtMs: null,
    rateLimitPerSecond: 0,
  });
  return { dir, database, config, runtime, fixture, secret, logs };
}

export async function request(setup: Setup, url: string, secret: string): Promise<Served> {
  const started = performance.now();
  const response = await setup.runtime.app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${secret}` },
  });
  const ms = Math.round(performance.now() - started);
  const body = response.json() as { error?: string; reason_code?: string };
  const retryAfter = response.headers['retry-after'];
  return {
    url,
    status: response.statusCode,
    reason: body.reason_code ?? null,
    error: body.error ?? null,
    body,
    ms,
    errorBody: response.statusCode >= 400 ? body : null,
    retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
  };
}

export async function readyz(setup: Setup): Promise<{ status: number; ms: number; body: unknown }> {
  const started = performance.now();
  const response = await setup.runtime.app.inject({ method: 'GET', url: '/readyz' });
  return { status: response.statusCode, ms: Math.round(performance.now() - started), body: response.json() };
}

/** What each URL of `routes` (and the beta key's extra one) serves, written out from the fixture. */
const SERVED_BODIES: Record<string, unknown> = {
  '/external/v1/encounters?limit=5': {
    items: encounters(ALPHA_DESC.slice(0, 5)),
    limit: 5,
    offset: 0,
    sort_order: 'desc',
    has_more: true,
    next_offset: 5,
  },
  '/external/v1/encounters?limit=2&offset=1&sort_order=asc&start_at=2026-01-01T00:00:00Z': {
    items: encounters(ALPHA_ASC.slice(1, 3)),
    limit: 2,
    offset: 1,
    sort_order: 'asc',
    has_more: true,
    next_offset: 3,
  },
  '/external/v1/encounters/enc_a1': OK_BODY.get_encounter,
  '/external/v1/encounters/enc_a1/documents/doc_note': OK_BODY.get_document,
  '/external/v1/encounters/enc_a1/documents/doc_amb/transcript': OK_BODY.get_transcript,
  '/external/v1/encounters/enc_b1': { encounter: ENCOUNTERS.enc_b1 },
};

/** Requests over every kind of route. */
export function routes(setup: Setup) {
  const full = setup.secret;
  return [
    ['/external/v1/encounters?limit=5', full],
    ['/external/v1/encounters?limit=2&offset=1&sort_order=asc&start_at=2026-01-01T00:00:00Z', full],
    ['/external/v1/encounters/enc_a1', full],
    ['/external/v1/encounters/enc_a1/documents/doc_note', full],
    ['/external/v1/encounters/enc_a1/documents/doc_amb/transcript', full],
  ] as const;
}

/**
 * Sends the routes round-robin (three clients at once) for `durationMs`. `extra` can add a key never used before,
 * whose lookup needs the database (the others are cached by then).
 */
export async function burst(setup: Setup, durationMs: number, extra: readonly (readonly [string, string])[] = []) {
  const list = [...routes(setup), ...extra];
  const results: Served[] = [];
  const end = performance.now() + durationMs;
  let next = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const [url, secret] = list[next++ % list.length]!;
      results.push(await request(setup, url, secret));
      await sleep(5);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return results;
}

export function tally(results: readonly Served[]) {
  const counts: Record<string, number> = {};
  for (const result of results) {
    const key = `${result.status}${result.reason ? ` ${result.reason}` : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  const ms = results.map((result) => result.ms).sort((a, b) => a - b);
  return { counts, median: ms[Math.floor(ms.length / 2)] ?? 0, slowest: ms[ms.length - 1] ?? 0 };
}

/** Polls until a request succeeds; returns how long the server took to recover. */
export async function recovery(setup: Setup, limitMs = 15_000): Promise<number> {
  const started = performance.now();
  const [url, secret] = routes(setup)[0];
  while (performance.now() - started < limitMs) {
    if ((await request(setup, url, secret)).status === 200 && (await readyz(setup)).status === 200) {
      return Math.round(performance.now() - started);
    }
    await sleep(25);
  }
  throw new Error(`no recovery within ${limitMs} ms`);
}

export function expectAllUnavailable(results: readonly Served[]) {
  expect(results.length).toBeGreaterThan(0);
  for (const result of results) {
    expect(result, result.url).toMatchObject({ status: 503, errorBody: DATASTORE_UNAVAILABLE_BODY, retryAfter: '1' });
    expect(result.ms, result.url).toBeLessThan(FAST_MS);
  }
}

/** During a partial fault: each request is either served or the standard 503, never anything else. */
export function expectServedOrUnavailable(results: readonly Served[]) {
  expect(results.length).toBeGreaterThan(0);
  for (const result of results) {
    if (result.status === 200) {
      expect(result, result.url).toMatchObject({ errorBody: null, reason: null });
      expect(result.body, result.url).toStrictEqual(SERVED_BODIES[result.url]);
    } else {
      expect(result, result.url).toMatchObject({
        status: 503,
        errorBody: DATASTORE_UNAVAILABLE_BODY,
        retryAfter: '1',
      });
    }
    expect(result.ms, result.url).toBeLessThan(FAST_MS);
  }
}

export function expectAllServed(results: readonly Served[]) {
  expect(results.length).toBeGreaterThan(0);
  for (const result of results) {
    expect(result, result.url).toMatchObject({ status: 200, reason: null });
    expect(SERVED_BODIES[result.url], result.url).toBeDefined();
    expect(result.body, result.url).toStrictEqual(SERVED_BODIES[result.url]);
  }
}

/** The codes (SQLSTATE or system error) the server logged with "datastore unavailable", each once. */
export function loggedFaultCodes(setup: Setup): string[] {
  const codes = new Set<string>();
  for (const line of setup.logs) {
    const entry = JSON.parse(line) as { msg?: string; code?: unknown };
    if (entry.msg === 'datastore unavailable') codes.add(String(entry.code));
  }
  return [...codes].sort();
}

export const unexpectedErrors = (setup: Setup) => setup.logs.filter((line) => line.includes('"unexpected error"'));
