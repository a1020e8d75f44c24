import { describe, expect, it, vi } from 'vitest';
import {
  ChartHeroClient,
  type ChartHeroClientOptions,
  ChartHeroError,
  ChartHeroNetworkError,
  type RetryEvent,
  VERSION,
} from '../../src/index.js';
import { json } from './fake-api.js';

const KEY = 'ch_sk_test_abcdefghijklmnopqrstuvwxyzABCDEF000000';
const BASE = 'https://api.example.test';

const errorBody = (error: string, reason: string, field: string | null = null) => ({
  error,
  reason_code: reason,
  message: `message for ${reason}`,
  field,
});
const unavailable = (retryAfter = '1') =>
  json(503, errorBody('public_api_unavailable', 'digest_key_unavailable'), { 'retry-after': retryAfter });
const ok = (body: unknown = { encounter: { encounter_id: 'enc_1' } }) => json(200, body);

/** A client over a scripted fetch; sleeps are recorded, not waited. */
function scripted(
  responses: (Response | Error | (() => Response | Promise<Response>))[],
  extra: Partial<ChartHeroClientOptions> = {},
) {
  const calls: { url: string; init: RequestInit }[] = [];
  const sleeps: number[] = [];
  const retries: RetryEvent[] = [];
  const fetch = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), init: init ?? {} });
    const next = responses.shift();
    if (next === undefined) throw new Error('no more scripted responses');
    if (next instanceof Error) throw next;
    return typeof next === 'function' ? next() : next;
  });
  const client = new ChartHeroClient({
    apiKey: KEY,
    baseUrl: BASE,
    fetch: fetch as typeof globalThis.fetch,
    retry: {
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
    onRetry: (event) => retries.push(event),
    ...extra,
  });
  return { client, calls, sleeps, retries, fetch };
}

describe('requests', () => {
  it('sends a GET with the bearer key, JSON accept and a user agent', async () => {
    const { client, calls } = scripted([ok()]);
    await client.encounters.get('enc_1');
    expect(calls).toHaveLength(1);
    const { url, init } = calls[0]!;
    expect(url).toBe(`${BASE}/external/v1/encounters/enc_1`);
    expect(init.method).toBe('GET');
    expect(init.headers).toMatchObject({
      authorization: `Bearer ${KEY}`,
      accept: 'application/json',
      'user-agent': `charthero-client-js/${VERSION}`,
    });
    expect(init.signal).toBeInstanceOf(AbortSignal);
  });

  it('builds every route path, escaping ids', async () => {
    const { client, calls } = scripted([ok(), ok(), ok(), ok(), ok()]);
    await client.encounters.list();
    await client.encounters.get('enc/../x?y');
    await client.documents.get('enc_1', 'doc 1');
    await client.documents.getTranscript('enc_1', 'doc_1');
    await client.documents.getAudioUrl('enc_1', 'doc_1');
    expect(calls.map((call) => call.url.slice(BASE.length))).toEqual([
      '/external/v1/encounters',
      '/external/v1/encounters/enc%2F..%2Fx%3Fy',
      '/external/v1/encounters/enc_1/documents/doc%201',
      '/external/v1/encounters/enc_1/documents/doc_1/transcript',
      '/external/v1/encounters/enc_1/documents/doc_1/audio',
    ]);
  });

  it('encodes the list query: dates as RFC 3339, + escaped, undefined left out', async () => {
    const { client, calls } = scripted([ok()]);
    await client.encounters.list({
      limit: 10,
      offset: 20,
      sort_order: 'asc',
      start_at: new Date('2026-05-01T00:00:00Z'),
      end_at: '2026-06-01T00:00:00+02:00',
    });
    const url = new URL(calls[0]!.url);
    expect(url.search).toContain('end_at=2026-06-01T00%3A00%3A00%2B02%3A00');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      limit: '10',
      offset: '20',
      sort_order: 'asc',
      start_at: '2026-05-01T00:00:00.000Z',
      end_at: '2026-06-01T00:00:00+02:00',
    });
    const { client: c2, calls: calls2 } = scripted([ok()]);
    await c2.encounters.list({ limit: undefined, sort_order: 'desc' });
    expect(calls2[0]!.url).toBe(`${BASE}/external/v1/encounters?sort_order=desc`);
  });

  it('keeps a base path prefix and drops trailing slashes', async () => {
    const { client, calls } = scripted([ok()], { baseUrl: 'https://gw.example.test/charthero///' });
    await client.encounters.get('enc_1');
    expect(calls[0]!.url).toBe('https://gw.example.test/charthero/external/v1/encounters/enc_1');
  });

  it('sends X-Request-Id when asked, and refuses one the server would not echo', async () => {
    const { client, calls } = scripted([ok()]);
    await client.encounters.get('enc_1', { requestId: 'sync-42.a_b' });
    expect(calls[0]!.init.headers).toMatchObject({ 'x-request-id': 'sync-42.a_b' });
    await expect(client.encounters.get('enc_1', { requestId: 'bad id' })).rejects.toThrow(TypeError);
  });

  it('validates its options and arguments', () => {
    expect(() => new ChartHeroClient({ apiKey: '', baseUrl: BASE })).toThrow(/apiKey/);
    expect(() => new ChartHeroClient({ apiKey: 'a b', baseUrl: BASE })).toThrow(/apiKey/);
    expect(() => new ChartHeroClient({ apiKey: KEY, baseUrl: 'nope' })).toThrow(/baseUrl/);
    expect(() => new ChartHeroClient({ apiKey: KEY, baseUrl: 'ftp://x' })).toThrow(/baseUrl/);
    expect(() => new ChartHeroClient({ apiKey: KEY, baseUrl: BASE, retry: { maxAttempts: 0 } })).toThrow(RangeError);
    const client = new ChartHeroClient({ apiKey: KEY, baseUrl: BASE });
    expect(() => client.encounters.get('')).toThrow(TypeError);
    expect(JSON.stringify(client)).not.toContain(KEY);
  });

  it('returns the typed body', async () => {
    const body = {
      encounter_id: 'enc_1',
      document_id: 'doc_1',
      transcript: { provider: 'deepgram', audio_duration_seconds: 1, turns: [] },
    };
    const { client } = scripted([ok(body)]);
    const transcript = await client.documents.getTranscript('enc_1', 'doc_1');
    expect(transcript.transcript.provider).toBe('deepgram');
  });

  it('a 200 whose body is not JSON is an internal_error, not retried', async () => {
    const { client, calls } = scripted([new Response('<html>', { status: 200 })]);
    await expect(client.encounters.get('enc_1')).rejects.toMatchObject({
      status: 200,
      reasonCode: 'internal_error',
      contractBody: false,
    });
    expect(calls).toHaveLength(1);
  });
});

describe('errors', () => {
  it.each([
    [400, 'api_key_validation_failed', 'unsupported_filter', 'foo'],
    [401, 'api_key_unauthorized', 'revoked_key', null],
    [403, 'api_key_forbidden', 'missing_scope', null],
    [404, 'public_api_not_found', 'encounter_not_found', null],
    [422, 'api_key_validation_failed', 'invalid_limit', 'limit'],
    [500, 'public_api_error', 'internal_error', null],
  ])('%i is thrown after one attempt', async (status, error, reason, field) => {
    const { client, calls, sleeps } = scripted([
      json(status, errorBody(error, reason, field), { 'x-request-id': 'r1' }),
    ]);
    const thrown = await client.encounters.list().catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(ChartHeroError);
    expect(thrown).toMatchObject({ status, error, reasonCode: reason, field, requestId: 'r1', attempt: 1 });
    expect(calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('a 401 is not retried even with a Retry-After header', async () => {
    const { client, calls } = scripted([
      json(401, errorBody('api_key_unauthorized', 'invalid_key'), { 'retry-after': '1' }),
    ]);
    await expect(client.encounters.get('enc_1')).rejects.toMatchObject({ reasonCode: 'invalid_key' });
    expect(calls).toHaveLength(1);
  });
});

describe('retries', () => {
  it('retries 503 with backoff, waiting at least Retry-After, then succeeds', async () => {
    const { client, calls, sleeps, retries } = scripted([unavailable('1'), unavailable('2'), ok()]);
    const result = await client.encounters.get('enc_1');
    expect(result).toEqual({ encounter: { encounter_id: 'enc_1' } });
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([1000, 2000]);
    expect(retries.map((r) => [r.attempt, r.retryAfterMs, r.delayMs, (r.error as ChartHeroError).reasonCode])).toEqual([
      [1, 1000, 1000, 'digest_key_unavailable'],
      [2, 2000, 2000, 'digest_key_unavailable'],
    ]);
  });

  it('retries 429 honouring Retry-After', async () => {
    const limited = json(429, errorBody('public_api_rate_limited', 'rate_limited'), { 'retry-after': '3' });
    const { client, sleeps } = scripted([limited, ok()]);
    await client.encounters.get('enc_1');
    expect(sleeps).toEqual([3000]);
  });

  it('uses jittered exponential backoff without Retry-After', async () => {
    const bare = () => json(503, errorBody('public_api_unavailable', 'datastore_unavailable'));
    const { client, sleeps } = scripted([bare(), bare(), bare(), ok()], {
      retry: { random: () => 0.5, baseDelayMs: 100, sleep: async (ms) => void sleeps.push(ms) },
    });
    await client.encounters.get('enc_1');
    expect(sleeps).toEqual([50, 100, 200]);
  });

  it('gives up after maxAttempts and throws the last error', async () => {
    const { client, calls } = scripted([unavailable(), unavailable(), unavailable()], {
      retry: { maxAttempts: 3, sleep: async () => {} },
    });
    const error = await client.encounters.get('enc_1').catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, attempt: 3, reasonCode: 'digest_key_unavailable' });
    expect(calls).toHaveLength(3);
  });

  it('gives up when the next wait would pass maxElapsedMs', async () => {
    const { client, calls } = scripted([unavailable('20'), ok()], {
      retry: { maxElapsedMs: 5000, sleep: async () => {} },
    });
    await expect(client.encounters.get('enc_1')).rejects.toMatchObject({ status: 503, attempt: 1 });
    expect(calls).toHaveLength(1);
  });

  it('per-call options override the client policy; retry: false means one attempt', async () => {
    const { client, calls } = scripted([unavailable()]);
    await expect(client.encounters.get('enc_1', { retry: false })).rejects.toMatchObject({ status: 503 });
    expect(calls).toHaveLength(1);
  });

  it('retries network errors (all routes are idempotent GETs)', async () => {
    const refused = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
    const { client, calls, retries } = scripted([refused, refused, ok()]);
    await client.encounters.get('enc_1');
    expect(calls).toHaveLength(3);
    expect(retries.map((r) => r.error)).toEqual([expect.any(ChartHeroNetworkError), expect.any(ChartHeroNetworkError)]);
  });

  it('reports a network error that outlasts the attempts', async () => {
    const refused = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
    const { client } = scripted([refused, refused], { retry: { maxAttempts: 2, sleep: async () => {} } });
    const error = await client.encounters.get('enc_1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChartHeroNetworkError);
    expect(error).toMatchObject({ kind: 'network', attempt: 2, operationId: 'get_encounter' });
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).cause).toBe(refused);
  });

  it('does not retry network errors when told not to', async () => {
    const { client, calls } = scripted([new TypeError('fetch failed'), ok()], {
      retry: { retryNetworkErrors: false },
    });
    await expect(client.encounters.get('enc_1')).rejects.toBeInstanceOf(ChartHeroNetworkError);
    expect(calls).toHaveLength(1);
  });

  it('times out a hanging attempt and retries it', async () => {
    const hang = () => new Promise<Response>(() => {});
    let attempts = 0;
    const fetch = (async (_url: string, init: RequestInit) => {
      attempts++;
      if (attempts === 1) {
        return new Promise<Response>((_resolve, reject) => {
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
          void hang();
        });
      }
      return ok();
    }) as unknown as typeof globalThis.fetch;
    const client = new ChartHeroClient({
      apiKey: KEY,
      baseUrl: BASE,
      fetch,
      timeoutMs: 30,
      retry: { sleep: async () => {} },
    });
    await expect(client.encounters.get('enc_1')).resolves.toEqual({ encounter: { encounter_id: 'enc_1' } });
    expect(attempts).toBe(2);

    attempts = 0;
    const never = new ChartHeroClient({
      apiKey: KEY,
      baseUrl: BASE,
      fetch: ((_url: string, init: RequestInit) =>
        new Promise((_resolve, reject) =>
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
        )) as unknown as typeof globalThis.fetch,
      timeoutMs: 20,
      retry: { maxAttempts: 2, sleep: async () => {} },
    });
    await expect(never.encounters.get('enc_1')).rejects.toMatchObject({
      name: 'ChartHeroNetworkError',
      kind: 'timeout',
    });
  });
});

describe('cancellation', () => {
  it('an aborted signal stops the call before any request', async () => {
    const { client, calls } = scripted([ok()]);
    const controller = new AbortController();
    controller.abort();
    await expect(client.encounters.get('enc_1', { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(calls).toHaveLength(0);
  });

  it('aborting during a retry wait rejects at once with the abort reason, without another attempt', async () => {
    let calls = 0;
    const client = new ChartHeroClient({
      apiKey: KEY,
      baseUrl: BASE,
      fetch: (async () => {
        calls++;
        return unavailable('10');
      }) as typeof globalThis.fetch,
    });
    const controller = new AbortController();
    const started = Date.now();
    const call = client.encounters.get('enc_1', { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(calls).toBe(1);
  });

  it('aborting during a request aborts the fetch and is not retried', async () => {
    let calls = 0;
    const client = new ChartHeroClient({
      apiKey: KEY,
      baseUrl: BASE,
      fetch: ((_url: string, init: RequestInit) => {
        calls++;
        return new Promise((_resolve, reject) =>
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
        );
      }) as unknown as typeof globalThis.fetch,
    });
    const reason = new Error('user cancelled');
    const controller = new AbortController();
    const call = client.encounters.list({}, { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 20);
    await expect(call).rejects.toBe(reason);
    expect(calls).toBe(1);
  });
});

describe('hooks', () => {
  it('reports each attempt and response', async () => {
    const requests: unknown[] = [];
    const responses: unknown[] = [];
    const { client } = scripted([unavailable(), ok()], {
      onRequest: (event) => requests.push(event),
      onResponse: (event) => responses.push({ ...event, durationMs: typeof event.durationMs }),
    });
    await client.encounters.get('enc_1');
    const url = `${BASE}/external/v1/encounters/enc_1`;
    expect(requests).toEqual([
      { operationId: 'get_encounter', url, attempt: 1 },
      { operationId: 'get_encounter', url, attempt: 2 },
    ]);
    expect(responses).toEqual([
      { operationId: 'get_encounter', url, attempt: 1, status: 503, requestId: 'req_fake', durationMs: 'number' },
      { operationId: 'get_encounter', url, attempt: 2, status: 200, requestId: 'req_fake', durationMs: 'number' },
    ]);
  });
});
