/**
 * GET /metrics on its own listener (docs/operations.md): the exposition parses strictly; request counts and
 * latency histograms by route id, status and reason code move with traffic; key-cache hits and misses, audit
 * records pending, change-feed lag, webhook deliveries by state and the process defaults are there; 1 000 requests
 * with random ids, unknown keys and random paths add no series and leave no trace in any label; the public port
 * answers /metrics with the standard 404.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { insertWebhookEndpoint, insertWebhookEvents } from '../../src/store/webhooks.js';
import { expectError } from '../support/expect-error.js';
import { addKey } from '../support/fixture.js';
import { type Harness, startHarness } from '../support/harness.js';
import { makeToken } from '../support/keys.js';
import { breakTable } from '../support/outage.js';
import { bearer, type Headers, sleep } from '../support/requests.js';
import { type Exposition, parseExposition, sampleValue, seriesOf } from './exposition.js';

let harness: Harness;
let metricsUrl: string;
let publicUrl: string;
let unlimited: Headers;
/** The runtime's clock runs this far ahead of the real one (the lag test moves it). */
let clockOffsetMs = 0;

async function scrape(): Promise<{ text: string; exposition: Exposition }> {
  const response = await fetch(metricsUrl);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  expect(response.headers.get('cache-control')).toBe('no-store');
  const text = await response.text();
  return { text, exposition: parseExposition(text) };
}

const requests = (route: string, status: number, reason: string) => ({
  route,
  status: String(status),
  reason_code: reason,
});

beforeAll(async () => {
  // The failed-authentication throttle is off so that every unknown key gets invalid_key, not a mix with 429.
  harness = await startHarness({
    env: { CHARTHERO_METRICS_PORT: '0', CHARTHERO_AUTH_FAILURE_LIMIT: '0' },
    runtime: { now: () => Date.now() + clockOffsetMs },
  });
  metricsUrl = harness.runtime.metricsListener!.url;
  publicUrl = await harness.runtime.app.listen({ host: '127.0.0.1', port: 0 });
  unlimited = bearer((await addKey(harness.runtime, harness.config, { rateLimitPerSecond: 0 })).secret);
});

afterAll(() => harness?.close());

describe('the metrics listener', () => {
  it('is its own port, bound to HOST, serving /metrics only', async () => {
    const url = new URL(metricsUrl);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.port).not.toBe(new URL(publicUrl).port);
    expect(url.pathname).toBe('/metrics');
    const other = await fetch(new URL('/external/v1/encounters', url));
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({
      error: 'public_api_not_found',
      reason_code: 'route_not_found',
      message: 'No route matches this path.',
      field: null,
    });
    const post = await fetch(url, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(((await post.json()) as { reason_code: string }).reason_code).toBe('method_not_allowed');
  });

  it('is off unless CHARTHERO_METRICS_PORT is set, and never the public port', () => {
    expect(loadConfig({}).metricsPort).toBeUndefined();
    expect(loadConfig({ CHARTHERO_METRICS_PORT: '9464' }).metricsPort).toBe(9464);
    expect(() => loadConfig({ PORT: '9000', CHARTHERO_METRICS_PORT: '9000' })).toThrow(
      'CHARTHERO_METRICS_PORT: must differ from PORT',
    );
    expect(() => loadConfig({ CHARTHERO_METRICS_PORT: '70000' })).toThrow(/^CHARTHERO_METRICS_PORT: /);
    expect(() => loadConfig({ CHARTHERO_METRICS_PORT: 'x' })).toThrow(/^CHARTHERO_METRICS_PORT: /);
  });

  it('has the process defaults and every application series', async () => {
    const { exposition } = await scrape();
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(sampleValue(exposition, name), name).toBeGreaterThanOrEqual(0);
    }
    expect(exposition.types.get('charthero_http_requests_total')).toBe('counter');
    expect(exposition.types.get('charthero_http_request_duration_seconds')).toBe('histogram');
    expect(exposition.types.get('charthero_key_cache_lookups_total')).toBe('counter');
    expect(exposition.types.get('charthero_audit_records_pending')).toBe('gauge');
    expect(exposition.types.get('charthero_change_feed_lag_seconds')).toBe('gauge');
  });
});

describe('series move with traffic', () => {
  it('counts and times requests by route id, status and reason code', async () => {
    const before = (await scrape()).exposition;
    const ok = requests('list_encounters', 200, 'none');
    const bad = requests('list_encounters', 422, 'invalid_limit');
    const unmatched = requests('non_public', 404, 'route_not_found');
    for (let i = 0; i < 3; i++) expect((await harness.get('/external/v1/encounters', unlimited)).statusCode).toBe(200);
    expect((await harness.get('/external/v1/encounters?limit=0', unlimited)).statusCode).toBe(422);
    expect((await harness.get('/nowhere')).statusCode).toBe(404);
    const after = (await scrape()).exposition;
    const delta = (name: string, labels: Record<string, string>) =>
      (sampleValue(after, name, labels) ?? 0) - (sampleValue(before, name, labels) ?? 0);
    expect(delta('charthero_http_requests_total', ok)).toBe(3);
    expect(delta('charthero_http_request_duration_seconds_count', ok)).toBe(3);
    expect(delta('charthero_http_request_duration_seconds_bucket', { ...ok, le: '+Inf' })).toBe(3);
    expect(delta('charthero_http_request_duration_seconds_sum', ok)).toBeGreaterThan(0);
    expect(delta('charthero_http_requests_total', bad)).toBe(1);
    expect(delta('charthero_http_requests_total', unmatched)).toBe(1);
  });

  it('counts key-cache misses and hits', async () => {
    const key = bearer((await addKey(harness.runtime, harness.config, { rateLimitPerSecond: 0 })).secret);
    const before = (await scrape()).exposition;
    await harness.get('/external/v1/encounters', key);
    await harness.get('/external/v1/encounters', key);
    await harness.get('/external/v1/encounters', key);
    const after = (await scrape()).exposition;
    const delta = (result: string) =>
      sampleValue(after, 'charthero_key_cache_lookups_total', { result })! -
      sampleValue(before, 'charthero_key_cache_lookups_total', { result })!;
    expect(delta('miss')).toBe(1);
    expect(delta('hit')).toBe(2);
  });

  it('reports the audit ledger’s pending records', async () => {
    const pending = vi.spyOn(harness.runtime.audit, 'pending').mockReturnValue(7);
    try {
      expect(sampleValue((await scrape()).exposition, 'charthero_audit_records_pending')).toBe(7);
    } finally {
      pending.mockRestore();
    }
    await harness.runtime.audit.flush();
    expect(sampleValue((await scrape()).exposition, 'charthero_audit_records_pending')).toBe(0);
  });

  it('reports webhook deliveries by state from the shared queue, and keeps serving while that read fails', async () => {
    const deliveries = async () => {
      const { exposition } = await scrape();
      return Object.fromEntries(
        ['pending', 'delivered', 'failed'].map((state) => [
          state,
          sampleValue(exposition, 'charthero_webhook_deliveries', { state }),
        ]),
      );
    };
    expect(await deliveries()).toEqual({ pending: 0, delivered: 0, failed: 0 });
    // A disabled endpoint: the running worker never claims its deliveries, so the states stay as written.
    const db = harness.runtime.store.db;
    const nowMs = Date.now();
    await insertWebhookEndpoint(db, {
      id: 'whe_metrics',
      organization_id: 'org_alpha',
      url: 'https://receiver.invalid/hook',
      description: '',
      status: 'disabled',
      secret_sealed: 'sealed',
      previous_secret_sealed: null,
      previous_secret_expires_at_ms: null,
      created_at_ms: nowMs,
      updated_at_ms: nowMs,
    });
    const event = {
      id: 'evt_metrics',
      type: 'recording.transcript_ready',
      organization_id: 'org_alpha',
      encounter_id: 'enc_metrics',
      document_id: 'doc_metrics',
      occurred_at_ms: nowMs,
      body: '{}',
      created_at_ms: nowMs,
    };
    const ids = ['whd_m1', 'whd_m2', 'whd_m3', 'whd_m4'];
    await insertWebhookEvents(
      db,
      [event],
      ids.map((id) => ({ id, eventId: event.id, endpointId: 'whe_metrics', nowMs })),
    );
    await db.updateTable('webhook_deliveries').set({ state: 'delivered' }).where('id', '=', 'whd_m3').execute();
    await db.updateTable('webhook_deliveries').set({ state: 'failed' }).where('id', '=', 'whd_m4').execute();
    expect(await deliveries()).toEqual({ pending: 2, delivered: 1, failed: 1 });

    const restore = await breakTable(harness, 'webhook_deliveries');
    try {
      const { exposition } = await scrape();
      expect(sampleValue(exposition, 'charthero_webhook_deliveries', { state: 'pending' })).toBe(2);
      expect(exposition.types.get('charthero_http_requests_total')).toBe('counter');
    } finally {
      await restore();
    }
    await db.deleteFrom('webhook_deliveries').where('endpoint_id', '=', 'whe_metrics').execute();
    await db.deleteFrom('webhook_events').where('id', '=', event.id).execute();
    await db.deleteFrom('webhook_endpoints').where('id', '=', 'whe_metrics').execute();
    expect(await deliveries()).toEqual({ pending: 0, delivered: 0, failed: 0 });
  });

  it('reports the change-feed lag, which grows while the feed cannot be read and drops once it is', async () => {
    const lag = async () => sampleValue((await scrape()).exposition, 'charthero_change_feed_lag_seconds')!;
    // The directory polls the feed every 200 ms: with the table gone every read fails, so nothing resets the lag.
    const restore = await breakTable(harness, 'change_feed');
    try {
      await sleep(500);
      clockOffsetMs = 30_000;
      expect(await lag()).toBeGreaterThanOrEqual(30);
      expect(await lag()).toBeLessThan(60);
    } finally {
      await restore();
    }
    await harness.runtime.directory.refresh();
    expect(await lag()).toBeLessThan(1);
    clockOffsetMs = 0;
    await harness.runtime.directory.refresh();
  });
});

describe('cardinality', () => {
  const random = () => randomBytes(9).toString('base64url');
  /** Requests whose ids, keys, paths and query keys are all chosen by the client. */
  const hostile = (i: number, seen: string[]) => {
    const id = `enc_${random()}`;
    const other = random();
    seen.push(id, other);
    switch (i % 6) {
      case 0:
        return harness.get(`/external/v1/encounters/${id}`, unlimited);
      case 1:
        return harness.get(`/external/v1/encounters/${id}/documents/doc_${other}`, unlimited);
      case 2: {
        const token = makeToken('test');
        seen.push(token);
        return harness.get('/external/v1/encounters', bearer(token));
      }
      case 3:
        return harness.get(`/external/v1/${other}`);
      case 4:
        return harness.get(`/external/v1/encounters?${other}=1`, unlimited);
      default:
        return harness.get(`/docs/errors/${other}`);
    }
  };

  it('stays fixed when 1 000 random ids, unknown keys and random paths are requested', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 60; i++) await hostile(i, seen);
    const before = await scrape();
    for (let i = 0; i < 1000; i++) await hostile(i, seen);
    const after = await scrape();
    const [was, is] = [seriesOf(before.exposition, 'charthero_'), seriesOf(after.exposition, 'charthero_')];
    expect({
      added: is.filter((series) => !was.includes(series)),
      removed: was.filter((series) => !is.includes(series)),
    }).toEqual({ added: [], removed: [] });
    for (const value of seen) expect(after.text.includes(value), value).toBe(false);
    const labelValues = new Set(after.exposition.samples.flatMap((sample) => Object.values(sample.labels)));
    expect([...labelValues].filter((value) => /enc_|doc_|ch_sk_|key_/.test(value))).toEqual([]);
    expect(
      sampleValue(
        after.exposition,
        'charthero_http_requests_total',
        requests('get_encounter', 404, 'encounter_not_found'),
      )! -
        sampleValue(
          before.exposition,
          'charthero_http_requests_total',
          requests('get_encounter', 404, 'encounter_not_found'),
        )!,
    ).toBe(167);
  });
});

describe('the public port', () => {
  it('answers /metrics with the standard 404 body', async () => {
    const response = await harness.get('/metrics');
    expectError(response, { reason_code: 'route_not_found' });
    const overHttp = await fetch(`${publicUrl}/metrics`);
    expect(overHttp.status).toBe(404);
    expect(await overHttp.json()).toEqual({
      error: 'public_api_not_found',
      reason_code: 'route_not_found',
      message: 'No route matches this path.',
      field: null,
    });
  });
});
