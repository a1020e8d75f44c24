/**
 * The PHI audit ledger end to end: one `request` record per public request with the right fields, one more per
 * audio URL issued, failures included (unauthenticated ones with a null key), a verifiable hash chain that
 * `charthero audit verify` checks and that breaks when a stored row is edited, and no secret or patient field in
 * any stored row.
 */
import { spawnSync } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeyring } from '../../src/access/keyring-source.js';
import type { AuditRow } from '../../src/audit/chain.js';
import { verifyLedger } from '../../src/audit/verify.js';
import { createRuntime } from '../../src/runtime.js';
import type { AuditEventsTable } from '../../src/store/schema.js';
import { ALPHA_ENCOUNTERS_IN_LIST, addKey } from '../support/fixture.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
let n = 0;
const PATIENT_FIELDS = ['Avery', 'Quill', 'Blake', 'Rowan', '1970-01-01', '1985-12-31'];

type Row = Omit<AuditEventsTable, 'id'> & { id: number };

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** One request with its own request id and user agent, then the ledger flushed and that request's rows read back. */
async function audited(
  url: string,
  headers: Record<string, string> = {},
  method: 'GET' | 'HEAD' = 'GET',
): Promise<{ status: number; body: string; rows: Row[]; requestId: string; before: number; after: number }> {
  const requestId = `audit-test-${++n}`;
  const before = Date.now();
  const response = await h.runtime.app.inject({
    method,
    url,
    remoteAddress: '203.0.113.7',
    headers: { 'x-request-id': requestId, 'user-agent': `audit-agent/${n}`, ...headers },
  });
  const after = Date.now();
  await h.runtime.audit.flush();
  const rows = await h.runtime.store.db
    .selectFrom('audit_events')
    .selectAll()
    .where('request_id', '=', requestId)
    .orderBy('id')
    .execute();
  return {
    status: response.statusCode,
    body: response.body,
    rows: rows.map((row) => ({ ...row, id: Number(row.id) })),
    requestId,
    before,
    after,
  };
}

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

function disclosedByEncounter(encounter: {
  encounter_id: string;
  patient: { patient_id: string };
  documents: { document_id: string }[];
}): string[] {
  return [encounter.encounter_id, encounter.patient.patient_id, ...encounter.documents.map((d) => d.document_id)];
}

function expectRequestRow(
  result: Awaited<ReturnType<typeof audited>>,
  expected: Partial<Omit<Row, 'resource_ids'>> & { resource_ids: string[] },
) {
  const requests = result.rows.filter((row) => row.event === 'request');
  expect(requests).toHaveLength(1);
  const row = requests[0]!;
  expect({ ...row, resource_ids: JSON.parse(row.resource_ids) }).toMatchObject({
    request_id: result.requestId,
    method: 'GET',
    client_ip: '203.0.113.7',
    user_agent: `audit-agent/${n}`,
    ...expected,
  });
  expect(row.at_ms).toBeGreaterThanOrEqual(result.before);
  expect(row.at_ms).toBeLessThanOrEqual(result.after + 1000);
  expect(row.latency_ms).toBeGreaterThan(0);
  expect(row.latency_ms).toBeLessThan(10_000);
  expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
  return row;
}

describe('one record per public request', () => {
  it('list: every encounter, patient and document id of the page', async () => {
    const full = h.fixture.keys.full;
    const result = await audited('/external/v1/encounters?limit=100&sort_order=asc', bearer(full.secret));
    expect(result.status).toBe(200);
    const items = JSON.parse(result.body).items as Parameters<typeof disclosedByEncounter>[0][];
    expect(items.map((item) => item.encounter_id)).toEqual(ALPHA_ENCOUNTERS_IN_LIST.map(([id]) => id));
    const ids = items.flatMap(disclosedByEncounter);
    expect(ids).toContain('doc_amb');
    expectRequestRow(result, {
      key_id: full.id,
      organization_id: 'org_alpha',
      route_id: 'list_encounters',
      status: 200,
      reason_code: null,
      resource_ids: ids,
    });
    expect(result.rows).toHaveLength(1);
  });

  it('list: a smaller page records exactly the ids on that page', async () => {
    const result = await audited('/external/v1/encounters?limit=2&offset=1', bearer(h.fixture.keys.full.secret));
    const items = JSON.parse(result.body).items as Parameters<typeof disclosedByEncounter>[0][];
    expect(items).toHaveLength(2);
    expectRequestRow(result, { route_id: 'list_encounters', resource_ids: items.flatMap(disclosedByEncounter) });
  });

  it('encounter, document and transcript details', async () => {
    const key = bearer(h.fixture.keys.full.secret);
    const encounter = await audited('/external/v1/encounters/enc_a1', key);
    expectRequestRow(encounter, {
      route_id: 'get_encounter',
      status: 200,
      resource_ids: disclosedByEncounter(JSON.parse(encounter.body).encounter),
    });
    const document = await audited('/external/v1/encounters/enc_a1/documents/doc_note', key);
    expectRequestRow(document, { route_id: 'get_document', status: 200, resource_ids: ['enc_a1', 'doc_note'] });
    const transcript = await audited('/external/v1/encounters/enc_a1/documents/doc_amb/transcript', key);
    expectRequestRow(transcript, { route_id: 'get_transcript', status: 200, resource_ids: ['enc_a1', 'doc_amb'] });
    for (const result of [encounter, document, transcript]) expect(result.rows).toHaveLength(1);
  });

  it('audio URL: the request record plus one audio_url_issued record', async () => {
    const full = h.fixture.keys.full;
    const result = await audited('/external/v1/encounters/enc_a1/documents/doc_amb/audio', bearer(full.secret));
    expect(result.status).toBe(200);
    expectRequestRow(result, { route_id: 'get_audio_url', status: 200, resource_ids: ['enc_a1', 'doc_amb'] });
    expect(result.rows).toHaveLength(2);
    const issued = result.rows.find((row) => row.event === 'audio_url_issued')!;
    expect(issued).toMatchObject({
      request_id: result.requestId,
      key_id: full.id,
      organization_id: 'org_alpha',
      route_id: 'get_audio_url',
      status: 200,
      resource_ids: '["enc_a1","doc_amb"]',
    });
    // Neither record holds the URL or its signature.
    expect(JSON.stringify(result.rows)).not.toContain(JSON.parse(result.body).audio_url);
    expect(JSON.stringify(result.rows)).not.toContain('sig=');
  });

  it('a failed audio lookup issues no URL and records only the request', async () => {
    const result = await audited(
      '/external/v1/encounters/enc_a1/documents/doc_amb_lost/audio',
      bearer(h.fixture.keys.full.secret),
    );
    expect(result.status).toBe(404);
    expect(result.rows).toHaveLength(1);
    expectRequestRow(result, { status: 404, reason_code: 'audio_not_found', resource_ids: [] });
  });

  it('HEAD requests are recorded too', async () => {
    const result = await audited('/external/v1/encounters/enc_a1', bearer(h.fixture.keys.full.secret), 'HEAD');
    expect(result.status).toBe(200);
    expect(result.rows).toHaveLength(1);
    expect(result.rows[0]).toMatchObject({ method: 'HEAD', route_id: 'get_encounter', status: 200 });
  });

  it('unauthenticated failures: a null key and organization, the reason code, no resources', async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, 'missing_bearer'],
      [{ authorization: 'Basic abc' }, 'missing_bearer'],
      [{ authorization: 'Bearer not-a-key' }, 'malformed_token'],
      [{ authorization: `Bearer ch_sk_test_${'A'.repeat(32)}000000` }, 'malformed_token'],
    ];
    for (const [headers, reason] of cases) {
      const result = await audited('/external/v1/encounters/enc_a1', headers);
      expect(result.status).toBe(401);
      expectRequestRow(result, {
        key_id: null,
        organization_id: null,
        route_id: 'get_encounter',
        status: 401,
        reason_code: reason,
        resource_ids: [],
      });
      expect(result.rows).toHaveLength(1);
    }
  });

  it('authenticated failures keep the key and organization: forbidden, cross-organization, bad query', async () => {
    const beta = h.fixture.keys.beta;
    const cross = await audited('/external/v1/encounters/enc_a1', bearer(beta.secret));
    expectRequestRow(cross, {
      key_id: beta.id,
      organization_id: 'org_beta',
      status: 403,
      reason_code: 'cross_organization_denied',
      resource_ids: [],
    });
    const query = await audited('/external/v1/encounters?limit=0', bearer(beta.secret));
    expectRequestRow(query, { key_id: beta.id, status: 422, reason_code: 'invalid_limit', resource_ids: [] });
    const listOnly = h.fixture.keys.listOnly;
    const route = await audited('/external/v1/encounters/enc_a1', bearer(listOnly.secret));
    expectRequestRow(route, {
      key_id: listOnly.id,
      organization_id: 'org_delta',
      status: 403,
      reason_code: 'route_not_allowed',
      resource_ids: [],
    });
  });

  it('a known key refused for its state is named with its organization: revoked, disabled, expired', async () => {
    for (const [name, reason] of [
      ['revoked', 'revoked_key'],
      ['disabled', 'disabled_key'],
      ['expired', 'expired_key'],
    ] as const) {
      const key = h.fixture.keys[name];
      const refused = await audited('/external/v1/encounters/enc_a1', bearer(key.secret));
      expectRequestRow(refused, {
        key_id: key.id,
        organization_id: 'org_alpha',
        status: 401,
        reason_code: reason,
        resource_ids: [],
      });
    }
  });

  it('rate-limited requests are recorded', async () => {
    const key = await addKey(h.runtime, h.config, { organizationId: 'org_alpha', rateLimitPerSecond: 1 });
    await h.get('/external/v1/encounters?limit=1', bearer(key.secret));
    await h.get('/external/v1/encounters?limit=1', bearer(key.secret));
    const refused = await audited('/external/v1/encounters?limit=1', bearer(key.secret));
    expect(refused.status).toBe(429);
    expectRequestRow(refused, { key_id: key.id, status: 429, reason_code: 'rate_limited', resource_ids: [] });
  });

  it('paths that are not public routes are not in the ledger', async () => {
    for (const url of ['/healthz', '/readyz', '/openapi/v1/openapi.json', '/external/v1/nope']) {
      expect((await audited(url)).rows).toHaveLength(0);
    }
  });
});

describe('the stored ledger', () => {
  async function allRows(): Promise<AuditRow[]> {
    await h.runtime.audit.flush();
    return h.runtime.store.db.selectFrom('audit_events').selectAll().orderBy('id').execute();
  }
  const verified = async () => verifyLedger(h.runtime.store.db, () => loadKeyring(h.config));

  it('holds no key secret, signed URL or patient field', async () => {
    const stored = JSON.stringify(await allRows());
    expect(stored.length).toBeGreaterThan(1000);
    for (const { secret } of Object.values(h.fixture.keys)) expect(stored).not.toContain(secret);
    expect(stored).not.toMatch(/ch_sk_/);
    expect(stored).not.toMatch(/sig=|\/media\/v1\//);
    for (const field of PATIENT_FIELDS) expect(stored).not.toContain(field);
  });

  it('verifies with verifyLedger and with `charthero audit verify`, and an edited row is detected', async () => {
    const rows = await allRows();
    const reports = await verified();
    expect(reports).toEqual([expect.objectContaining({ chain: h.runtime.audit.chainId, records: rows.length })]);
    expect(reports[0]!.broken).toBeUndefined();
    const env = {
      ...process.env,
      CHARTHERO_DATABASE_URL: h.config.databaseUrl,
      CHARTHERO_DIGEST_KEYS_FILE: h.config.digestKeysFile,
    };
    const verify = () =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'audit', 'verify', '--json'], {
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
    const intact = verify();
    expect(intact.status, intact.stderr).toBe(0);
    expect(JSON.parse(intact.stdout)).toMatchObject({ ok: true, records: rows.length });

    const victim = rows[Math.floor(rows.length / 2)]!;
    await h.runtime.store.db
      .updateTable('audit_events')
      .set({ key_id: 'key_someone_else' })
      .where('id', '=', victim.id)
      .execute();
    expect((await verified())[0]!.broken).toMatchObject({ id: Number(victim.id), seq: Number(victim.seq) });
    const broken = verify();
    expect(broken.status).not.toBe(0);
    expect(broken.stderr).toContain(`at record ${victim.id} (seq ${victim.seq}): hash does not match`);
    await h.runtime.store.db
      .updateTable('audit_events')
      .set({ key_id: victim.key_id })
      .where('id', '=', victim.id)
      .execute();
    expect((await verified())[0]!.broken).toBeUndefined();
  }, 120_000);
});

describe('shutdown', () => {
  it('runtime.close() writes the refusals still buffered, open aggregates included', async () => {
    const runtime = await createRuntime(h.config, { logger: pino({ level: 'silent' }) as FastifyBaseLogger });
    // A disclosure is never buffered: it is committed before its response (with whatever was waiting).
    await runtime.app.inject({
      method: 'GET',
      url: '/external/v1/encounters/enc_a1',
      headers: bearer(h.fixture.keys.full.secret),
    });
    for (let i = 0; i < 20; i++) {
      await runtime.app.inject({
        method: 'GET',
        url: '/external/v1/encounters/enc_a1',
        // A known key refused (cross-organization): one record each; then ten anonymous ones: one aggregate.
        headers: { ...bearer(h.fixture.keys.beta.secret), 'x-request-id': `closing-${i}` },
      });
    }
    for (let i = 0; i < 10; i++) {
      await runtime.app.inject({
        method: 'GET',
        url: '/external/v1/encounters/enc_a1',
        headers: { 'x-request-id': `closing-anon-${i}` },
      });
    }
    expect(runtime.audit.pending()).toBe(21);
    await runtime.close();
    const rows = await h.runtime.store.db
      .selectFrom('audit_events')
      .select(['request_id', 'count'])
      .where('chain_id', '=', runtime.audit.chainId)
      .where('request_id', 'like', 'closing-%')
      .orderBy('id')
      .execute();
    expect(rows).toHaveLength(21);
    expect(rows.at(-1)).toEqual({ request_id: 'closing-anon-0', count: 10 });
  });
});

describe('a client that leaves mid-request', () => {
  let blackhole: Server;

  afterAll(() => new Promise<void>((resolve) => (blackhole ? blackhole.close(() => resolve()) : resolve())));

  it('is recorded once, with status 499 and nothing disclosed', async () => {
    // Audio storage that accepts connections and never answers: get_audio_url hangs until the storage timeout.
    blackhole = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${(blackhole.address() as { port: number }).port}`,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
    });
    const runtime = await createRuntime(
      { ...h.config, audioStorage: 's3://charthero-test/audio' },
      { logger: pino({ level: 'silent' }) as FastifyBaseLogger },
    );
    process.env = saved;
    try {
      const address = await runtime.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = new URL(address);
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        'GET /external/v1/encounters/enc_a1/documents/doc_amb/audio HTTP/1.1\r\nHost: x\r\n' +
          `Authorization: Bearer ${h.fixture.keys.full.secret}\r\nX-Request-Id: leaves-early\r\n\r\n`,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      socket.destroy();
      // The handler ends with 503 once the storage call times out (2 s); the ledger must not add a second record.
      await new Promise((resolve) => setTimeout(resolve, 2600));
      await runtime.audit.flush();
      const rows = await runtime.store.db
        .selectFrom('audit_events')
        .selectAll()
        .where('request_id', '=', 'leaves-early')
        .execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        event: 'request',
        key_id: h.fixture.keys.full.id,
        route_id: 'get_audio_url',
        status: 499,
        resource_ids: '[]',
      });
      expect(rows[0]!.latency_ms).toBeGreaterThanOrEqual(250);
    } finally {
      await runtime.close();
    }
  });
});
