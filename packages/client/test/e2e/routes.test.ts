/**
 * The SDK against the real server over HTTP: every route, every error class, retries on a real 503 and 429, and
 * no retry on 401.
 */
import { renameSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../../../src/access/key-format.js';
import { ALPHA_ENCOUNTERS_IN_LIST } from '../../../../test/support/fixture.js';
import {
  ChartHeroClient,
  type ChartHeroClientOptions,
  ChartHeroError,
  ChartHeroNetworkError,
  type Encounter,
  isAuthError,
  type ListEncountersQuery,
  type RetryEvent,
} from '../../src/index.js';
import { type LiveServer, startLiveServer } from './server.js';

let server: LiveServer;
let keys: LiveServer['h']['fixture']['keys'];

beforeAll(async () => {
  server = await startLiveServer();
  keys = server.h.fixture.keys;
});
afterAll(() => server?.close());

function client(apiKey: string, options: Partial<ChartHeroClientOptions> = {}) {
  return new ChartHeroClient({ apiKey, baseUrl: server.baseUrl, ...options });
}

async function failure(promise: Promise<unknown>): Promise<ChartHeroError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChartHeroError);
  return error as ChartHeroError;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('every route', () => {
  it('list_encounters: one page, and every page through iterate()', async () => {
    const sdk = client(keys.full.secret);
    const page = await sdk.encounters.list({ limit: 2, sort_order: 'asc' });
    expect(page).toMatchObject({ limit: 2, offset: 0, sort_order: 'asc', has_more: true, next_offset: 2 });
    expect(page.items.map((item) => item.encounter_id)).toEqual(['enc_a1', 'enc_a2']);
    const first = page.items[0]!;
    expect(first).toMatchObject({
      organization_id: 'org_alpha',
      created_at: '2026-05-25T14:00:00Z',
      patient: { patient_id: 'pat_a1', first_name: 'Avery' },
    });
    expect(first.documents.map((d) => d.document_id)).toContain('doc_note');

    const all: Encounter[] = [];
    for await (const item of sdk.encounters.iterate({ sort_order: 'asc', limit: 4 })) all.push(item);
    expect(all.map((item) => item.encounter_id)).toEqual(ALPHA_ENCOUNTERS_IN_LIST.map(([id]) => id));

    const windowed = await sdk.encounters.list({
      start_at: new Date('2026-06-01T00:00:00Z'),
      end_at: '2026-06-20T08:00:00+00:00',
      sort_order: 'asc',
    });
    expect(windowed.items.map((item) => item.encounter_id)).toEqual(['enc_a2', 'enc_a3']);
  });

  it('get_encounter', async () => {
    const { encounter } = await client(keys.full.secret).encounters.get('enc_a1');
    expect(encounter).toMatchObject({ encounter_id: 'enc_a1', patient: { last_name: 'Quill' } });
  });

  it('get_document: a note with content, and an ambient transcript document', async () => {
    const sdk = client(keys.full.secret);
    const { document: note } = await sdk.documents.get('enc_a1', 'doc_note');
    expect(note.schema_type).toBe('document');
    if (note.schema_type === 'document') expect(note.content).toEqual({ format: 'markdown', text: expect.any(String) });
    const { document: ambient } = await sdk.documents.get('enc_a1', 'doc_amb');
    expect(ambient).toMatchObject({ schema_type: 'ambient_transcript', audio_duration_seconds: 842.4 });
  });

  it('get_transcript', async () => {
    const result = await client(keys.full.secret).documents.getTranscript('enc_a1', 'doc_amb');
    expect(result).toMatchObject({ encounter_id: 'enc_a1', document_id: 'doc_amb' });
    expect(result.transcript.provider).toBe('deepgram');
    expect(result.transcript.turns.map((turn) => turn.text)).toEqual(['Good morning.', 'Morning, doctor.']);
  });

  it('get_audio_url, and the URL serves the recording', async () => {
    const { audio_url, expires_at } = await client(keys.full.secret).documents.getAudioUrl('enc_a1', 'doc_amb');
    expect(Date.parse(expires_at)).toBeGreaterThan(Date.now());
    // The harness configures a fixed public base URL; point the signed path at the listening port.
    const signed = new URL(audio_url);
    const response = await fetch(`${server.baseUrl}${signed.pathname}${signed.search}`);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(server.h.fixture.audio);
  });

  it('sends X-Request-Id and reads it back from errors', async () => {
    const error = await failure(client(keys.full.secret).encounters.get('enc_nope', { requestId: 'e2e-req-1' }));
    expect(error.requestId).toBe('e2e-req-1');
  });
});

describe('every error class', () => {
  const noRetry = { retry: false } as const;

  it('400: unsupported_filter (field = the key) and unsupported_document_type', async () => {
    const sdk = client(keys.full.secret, noRetry);
    const filter = await failure(sdk.encounters.list({ patient_id: 'pat_a1' } as ListEncountersQuery));
    expect(filter).toMatchObject({
      status: 400,
      error: 'api_key_validation_failed',
      reasonCode: 'unsupported_filter',
      field: 'patient_id',
      action: 'fix_request',
      contractBody: true,
    });
    const type = await failure(sdk.documents.get('enc_a1', 'doc_intake'));
    expect(type).toMatchObject({ status: 400, error: 'public_api_not_found', reasonCode: 'unsupported_document_type' });
  });

  it('401: every key state, each after exactly one request', async () => {
    const cases: [string, string][] = [
      [keys.revoked.secret, 'revoked_key'],
      [keys.disabled.secret, 'disabled_key'],
      [keys.expired.secret, 'expired_key'],
      [keys.orgKeysOff.secret, 'api_keys_disabled'],
      [generateKey('test'), 'invalid_key'],
      [generateKey('live'), 'invalid_key'],
      ['ch_sk_test_not-a-key', 'malformed_token'],
    ];
    for (const [key, reason] of cases) {
      let requests = 0;
      const sdk = client(key, { onRequest: () => requests++ });
      const error = await failure(sdk.encounters.list());
      expect(error, reason).toMatchObject({
        status: 401,
        error: 'api_key_unauthorized',
        reasonCode: reason,
        field: null,
        attempt: 1,
        action: 'fix_credentials',
      });
      expect(isAuthError(error)).toBe(true);
      expect(error.requestId).toMatch(/\S/);
      expect(requests, reason).toBe(1);
    }
  });

  it('403: scope, route, allowlist, org scope, other organization, demo/training', async () => {
    const cases: [() => Promise<unknown>, string][] = [
      [() => client(keys.noRecordings.secret, noRetry).documents.getAudioUrl('enc_a1', 'doc_amb'), 'missing_scope'],
      [() => client(keys.noPatients.secret, noRetry).encounters.get('enc_a1'), 'missing_scope'],
      [() => client(keys.listOnly.secret, noRetry).encounters.get('enc_a1'), 'route_not_allowed'],
      [() => client(keys.notAllowlisted.secret, noRetry).encounters.list(), 'organization_not_allowlisted'],
      [() => client(keys.noOrg.secret, noRetry).encounters.list(), 'org_scope_only_required'],
      [() => client(keys.full.secret, noRetry).encounters.get('enc_b1'), 'cross_organization_denied'],
      [() => client(keys.full.secret, noRetry).encounters.get('enc_demo'), 'demo_training_denied'],
      [() => client(keys.full.secret, noRetry).documents.get('enc_training', 'doc_x'), 'demo_training_denied'],
    ];
    for (const [call, reason] of cases) {
      expect(await failure(call()), reason).toMatchObject({
        status: 403,
        error: 'api_key_forbidden',
        reasonCode: reason,
        action: 'check_access',
      });
    }
  });

  it('404: every not-found code, and route_not_found for a wrong base path', async () => {
    const sdk = client(keys.full.secret, noRetry);
    const cases: [() => Promise<unknown>, string][] = [
      [() => sdk.encounters.get('enc_unknown'), 'encounter_not_found'],
      [() => sdk.encounters.get('enc_unavailable'), 'encounter_not_found'],
      [() => sdk.encounters.get('%zz/../odd id'), 'encounter_not_found'],
      [() => sdk.documents.get('enc_a1', 'doc_b1'), 'document_not_found'],
      [() => sdk.documents.get('enc_a1', 'doc_hidden'), 'document_not_found'],
      [() => sdk.documents.getTranscript('enc_a1', 'doc_amb_draft'), 'transcript_not_found'],
      [() => sdk.documents.getAudioUrl('enc_a1', 'doc_amb_norec'), 'audio_not_available_for_document'],
      [() => sdk.documents.getAudioUrl('enc_a1', 'doc_amb_lost'), 'audio_not_found'],
      [
        () => client(keys.full.secret, { ...noRetry, baseUrl: `${server.baseUrl}/external/v1` }).encounters.list(),
        'route_not_found',
      ],
    ];
    for (const [call, reason] of cases) {
      expect(await failure(call()), reason).toMatchObject({
        status: 404,
        error: 'public_api_not_found',
        reasonCode: reason,
        action: 'treat_as_missing',
      });
    }
  });

  it('422: invalid_limit, invalid_offset, invalid_sort, invalid_query (field null for a bad range)', async () => {
    const sdk = client(keys.full.secret, noRetry);
    const cases: [ListEncountersQuery, string, string | null][] = [
      [{ limit: 0 }, 'invalid_limit', 'limit'],
      [{ limit: 101 }, 'invalid_limit', 'limit'],
      [{ offset: 10_001 }, 'invalid_offset', 'offset'],
      [{ sort_order: 'ASC' as 'asc' }, 'invalid_sort', 'sort_order'],
      [{ start_at: '2026-05-01' }, 'invalid_query', 'start_at'],
      [{ end_at: '2026-05-01T00:00:00' }, 'invalid_query', 'end_at'],
      [{ start_at: '2026-06-01T00:00:00Z', end_at: '2026-05-01T00:00:00Z' }, 'invalid_query', null],
    ];
    for (const [query, reason, field] of cases) {
      expect(await failure(sdk.encounters.list(query)), reason).toMatchObject({
        status: 422,
        error: 'api_key_validation_failed',
        reasonCode: reason,
        field,
        action: 'fix_request',
      });
    }
  });

  it('429: rate_limited with Retry-After, then a retry that waits it out and succeeds', async () => {
    const secret = await server.issue({ rateLimitPerSecond: 1 }); // burst 2
    const strict = client(secret, noRetry);
    await strict.encounters.get('enc_a1');
    await strict.encounters.get('enc_a1');
    const limited = await failure(strict.encounters.get('enc_a1'));
    expect(limited).toMatchObject({
      status: 429,
      error: 'public_api_rate_limited',
      reasonCode: 'rate_limited',
      retryable: true,
      action: 'retry',
    });
    expect(limited.retryAfterMs).toBeGreaterThanOrEqual(1000);

    const retries: RetryEvent[] = [];
    const patient = client(secret, { onRetry: (event) => retries.push(event) });
    const started = Date.now();
    const { encounter } = await patient.encounters.get('enc_a1');
    expect(encounter.encounter_id).toBe('enc_a1');
    expect(retries.length).toBeGreaterThanOrEqual(1);
    for (const retry of retries) {
      expect((retry.error as ChartHeroError).reasonCode).toBe('rate_limited');
      expect(retry.delayMs).toBeGreaterThanOrEqual(retry.retryAfterMs!);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(retries[0]!.retryAfterMs! - 50);
  });

  it('503: digest_key_unavailable while the keyring is gone (no retries asked)', async () => {
    const keyring = server.h.config.digestKeysFile;
    renameSync(keyring, `${keyring}.away`);
    try {
      const sdk = client(keys.full.secret, noRetry);
      const error = await untilUnavailable(() => sdk.encounters.get('enc_a1'));
      expect(error).toMatchObject({
        status: 503,
        error: 'public_api_unavailable',
        reasonCode: 'digest_key_unavailable',
        retryAfterMs: 1000,
        retryable: true,
        action: 'retry',
        attempt: 1,
      });
    } finally {
      renameSync(`${keyring}.away`, keyring);
    }
    await untilAvailable();
  });

  it('network: a closed port gives a ChartHeroNetworkError after the configured attempts', async () => {
    let requests = 0;
    const sdk = new ChartHeroClient({
      apiKey: keys.full.secret,
      baseUrl: 'http://127.0.0.1:1',
      retry: { maxAttempts: 3, baseDelayMs: 10 },
      onRequest: () => requests++,
    });
    const error = await sdk.encounters.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChartHeroNetworkError);
    expect(error).toMatchObject({ kind: 'network', attempt: 3, retryable: true });
    expect(requests).toBe(3);
  });
});

/** The keyring is re-read at most once a second: poll until the server notices it is gone. */
async function untilUnavailable(call: () => Promise<unknown>): Promise<ChartHeroError> {
  for (let i = 0; i < 40; i++) {
    const error = await call().then(
      () => null,
      (e: unknown) => e,
    );
    if (error instanceof ChartHeroError && error.status === 503) return error;
    await sleep(100);
  }
  throw new Error('the server never reported the keyring missing');
}

async function untilAvailable(): Promise<void> {
  const sdk = client(keys.full.secret, { retry: { maxAttempts: 10, maxElapsedMs: 20_000 } });
  await sdk.encounters.get('enc_a1');
}

describe('retries against the real server', () => {
  it('retries a real 503 (keyring removed, restored 1.5 s later), each wait at least Retry-After', async () => {
    const keyring = server.h.config.digestKeysFile;
    renameSync(keyring, `${keyring}.away`);
    let restored = false;
    try {
      await untilUnavailable(() => client(keys.full.secret, { retry: false }).encounters.get('enc_a1'));

      const attempts: { at: number; status?: number }[] = [];
      const retries: RetryEvent[] = [];
      const sleeps: number[] = [];
      const sdk = client(keys.full.secret, {
        retry: {
          maxAttempts: 6,
          sleep: (ms, signal) => {
            sleeps.push(ms);
            return new Promise((resolve, reject) => {
              const timer = setTimeout(resolve, ms);
              signal?.addEventListener('abort', () => {
                clearTimeout(timer);
                reject(signal.reason);
              });
            });
          },
        },
        onRequest: () => attempts.push({ at: Date.now() }),
        onResponse: (event) => {
          attempts.at(-1)!.status = event.status;
        },
        onRetry: (event) => retries.push(event),
      });
      const started = Date.now();
      const restore = sleep(1500).then(() => {
        renameSync(`${keyring}.away`, keyring);
        restored = true;
      });
      const { encounter } = await sdk.encounters.get('enc_a1');
      await restore;

      expect(encounter.encounter_id).toBe('enc_a1');
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      expect(attempts.at(-1)!.status).toBe(200);
      expect(attempts.slice(0, -1).every((attempt) => attempt.status === 503)).toBe(true);
      expect(retries).toHaveLength(attempts.length - 1);
      for (const retry of retries) {
        expect(retry.error).toMatchObject({ status: 503, reasonCode: 'digest_key_unavailable' });
        expect(retry.retryAfterMs).toBe(1000);
        expect(retry.delayMs).toBeGreaterThanOrEqual(1000);
      }
      expect(sleeps).toEqual(retries.map((retry) => retry.delayMs));
      // Measured on the wire: consecutive attempts are at least Retry-After apart.
      for (let i = 1; i < attempts.length; i++) {
        expect(attempts[i]!.at - attempts[i - 1]!.at).toBeGreaterThanOrEqual(1000 - 5);
      }
      expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    } finally {
      if (!restored) renameSync(`${keyring}.away`, keyring);
    }
  });

  it('does not retry a 401, even with generous retry settings', async () => {
    let onTheWire = 0;
    const countingFetch: typeof fetch = (input, init) => {
      onTheWire++;
      return fetch(input, init);
    };
    const sdk = client(keys.revoked.secret, {
      fetch: countingFetch,
      retry: { maxAttempts: 10, retryStatuses: [401, 429, 503] },
    });
    const error = await failure(sdk.documents.getTranscript('enc_a1', 'doc_amb'));
    expect(error).toMatchObject({ status: 401, reasonCode: 'revoked_key', attempt: 1 });
    expect(onTheWire).toBe(1);
  });

  it('cancels a retrying call with an AbortSignal', async () => {
    const keyring = server.h.config.digestKeysFile;
    renameSync(keyring, `${keyring}.away`);
    try {
      await untilUnavailable(() => client(keys.full.secret, { retry: false }).encounters.get('enc_a1'));
      let requests = 0;
      const sdk = client(keys.full.secret, { onRequest: () => requests++ });
      const started = Date.now();
      const call = sdk.encounters.get('enc_a1', { signal: AbortSignal.timeout(300) });
      await expect(call).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - started).toBeLessThan(1000);
      expect(requests).toBe(1);
    } finally {
      renameSync(`${keyring}.away`, keyring);
    }
    await untilAvailable();
  });
});
