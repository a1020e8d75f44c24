/**
 * The delivery worker against real receivers on loopback: redirects are failures and never followed, a receiver
 * that does not answer is a timeout, the last failure leaves the delivery failed, a rotation sends both signatures,
 * production refuses loopback addresses after resolution (blocked_address, no connection made), and a stop lets
 * attempts in flight finish or gives their leases back.
 */

import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError } from '../../packages/client/src/index.js';
import { findDelivery, replaceWebhookEndpointSecret } from '../../src/store/webhooks.js';
import { generateWebhookSecret, sealSecret } from '../../src/webhooks/secrets.js';
import { startWebhookWorker, type WebhookWorker, type WebhookWorkerOptions } from '../../src/webhooks/worker.js';
import { readyTranscriptLines } from './support/fixtures.js';
import { type Receiver, startReceiver } from './support/receiver.js';
import { openTestStore, type TestStore } from './support/store.js';

let t: TestStore;
const receivers: Receiver[] = [];
const workers: WebhookWorker[] = [];
const servers: Server[] = [];

beforeEach(async () => {
  t = await openTestStore();
  await t.addOrganization('org_a');
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  for (const server of servers.splice(0)) server.close();
  await t.close();
});

async function receiver(respond?: Receiver['respond']): Promise<Receiver> {
  const started = await startReceiver(respond);
  receivers.push(started);
  return started;
}

function worker(overrides: Partial<WebhookWorkerOptions> = {}): WebhookWorker {
  const started = startWebhookWorker({
    store: t.store,
    keyring: () => t.keyring,
    environment: 'sandbox',
    retryScheduleSeconds: [1],
    leaseMs: 30_000,
    logger: pino({ level: 'silent' }),
    pollMs: 100,
    ...overrides,
  });
  workers.push(started);
  return started;
}

async function onlyDelivery() {
  const rows = await t.store.db.selectFrom('webhook_deliveries').select('id').execute();
  expect(rows).toHaveLength(1);
  return rows[0]!.id;
}

/** Polls the delivery until `check` holds. */
async function waitForDelivery(
  id: string,
  check: (row: NonNullable<Awaited<ReturnType<typeof findDelivery>>>) => boolean,
  timeoutMs = 15_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await findDelivery(t.store.db, id);
    if (row && check(row)) return row;
    if (Date.now() > deadline) throw new Error(`delivery never reached the expected state: ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the delivery worker', () => {
  it('counts a redirect as a failed attempt and never follows it', async () => {
    const target = await receiver(() => 204);
    const redirecting = await receiver(() => ({ status: 302, headers: { location: target.url } }));
    await t.addEndpoint('org_a', redirecting.url);
    await t.importRecords(readyTranscriptLines('org_a', 1));
    const id = await onlyDelivery();
    worker({ retryScheduleSeconds: [] });
    const row = await waitForDelivery(id, (r) => r.state !== 'pending');
    expect(row).toMatchObject({
      state: 'failed',
      attempts: 1,
      last_status_code: 302,
      last_error_class: 'redirect_not_followed',
    });
    expect(redirecting.requests).toHaveLength(1);
    expect(target.requests).toHaveLength(0);
    expect(target.connections).toBe(0);
  });

  it('keeps only the status code of a non-2xx answer, retries it, and marks it failed after the last attempt', async () => {
    const failing = await receiver(() => 500);
    await t.addEndpoint('org_a', failing.url);
    await t.importRecords(readyTranscriptLines('org_a', 1));
    const id = await onlyDelivery();
    worker({ retryScheduleSeconds: [1] });
    const row = await waitForDelivery(id, (r) => r.state !== 'pending');
    expect(row).toMatchObject({
      state: 'failed',
      attempts: 2,
      last_status_code: 500,
      last_error_class: null,
      delivered_at_ms: null,
    });
    expect(failing.requests).toHaveLength(2);
    expect(failing.requests[1]!.at - failing.requests[0]!.at).toBeGreaterThanOrEqual(900 - 20);
    // The receiver's body is never stored anywhere.
    const everything = JSON.stringify(await t.store.db.selectFrom('webhook_deliveries').selectAll().execute());
    expect(everything).not.toContain('receiver body');
  });

  it('records a timeout when the receiver does not answer in time', async () => {
    const silent = await receiver(() => 'hang');
    await t.addEndpoint('org_a', silent.url);
    await t.importRecords(readyTranscriptLines('org_a', 1));
    const id = await onlyDelivery();
    // The attempt timeout stays below the lease: 2 s here.
    worker({ retryScheduleSeconds: [], leaseMs: 3000 });
    const row = await waitForDelivery(id, (r) => r.state !== 'pending');
    expect(row).toMatchObject({ state: 'failed', attempts: 1, last_status_code: null, last_error_class: 'timeout' });
    expect(row.last_latency_ms).toBeGreaterThanOrEqual(1900);
  });

  it('records connection_refused when nothing listens', async () => {
    const gone = await receiver();
    await gone.close();
    receivers.splice(receivers.indexOf(gone), 1);
    await t.addEndpoint('org_a', gone.url);
    await t.importRecords(readyTranscriptLines('org_a', 1));
    const id = await onlyDelivery();
    worker({ retryScheduleSeconds: [] });
    const row = await waitForDelivery(id, (r) => r.state !== 'pending');
    expect(row).toMatchObject({ state: 'failed', last_status_code: null, last_error_class: 'connection_refused' });
  });

  it('sends v1=<new>,v1=<old> during a rotation overlap, and only the new one after it', async () => {
    const ok = await receiver(() => 204);
    const endpoint = await t.addEndpoint('org_a', ok.url);
    const rotated = generateWebhookSecret();
    const current = await t.store.db.selectFrom('webhook_endpoints').select('secret_sealed').executeTakeFirstOrThrow();
    await replaceWebhookEndpointSecret(t.store.db, endpoint.id, {
      secretSealed: sealSecret(t.keyring, endpoint.id, rotated),
      previousSealed: current.secret_sealed,
      previousExpiresAtMs: Date.now() + 3_600_000,
      nowMs: Date.now(),
    });
    await t.importRecords(readyTranscriptLines('org_a', 1));
    worker();
    const [request] = await ok.waitFor(1);
    const entries = String(request!.headers['charthero-signature']).split(',');
    expect(entries).toHaveLength(2);
    for (const entry of entries) expect(entry).toMatch(/^v1=[0-9a-f]{64}$/);
    // Each secret alone verifies (a receiver may hold either one during the overlap).
    for (const secret of [rotated, endpoint.secret]) {
      expect(verifyWebhook(request!.body, request!.headers, secret).resources.document_id).toBe('doc_w1');
    }
    // The first entry is the new secret's.
    const onlyFirst = { ...request!.headers, 'charthero-signature': entries[0]! };
    expect(verifyWebhook(request!.body, onlyFirst, rotated).id).toBe(request!.headers['charthero-event-id']);
    expect(() => verifyWebhook(request!.body, onlyFirst, endpoint.secret)).toThrow(WebhookVerificationError);

    // Once the overlap is over, only the new secret signs.
    await replaceWebhookEndpointSecret(t.store.db, endpoint.id, {
      secretSealed: sealSecret(t.keyring, endpoint.id, rotated),
      previousSealed: current.secret_sealed,
      previousExpiresAtMs: Date.now() - 1,
      nowMs: Date.now(),
    });
    await t.importRecords(readyTranscriptLines('org_a', 1, 'second'));
    const [, later] = await ok.waitFor(2);
    expect(String(later!.headers['charthero-signature'])).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(() => verifyWebhook(later!.body, later!.headers, endpoint.secret)).toThrow(WebhookVerificationError);
    expect(verifyWebhook(later!.body, later!.headers, rotated).resources.document_id).toBe('doc_second1');
  });

  it('sends nothing to a disabled endpoint, and resumes its pending deliveries once it is enabled again', async () => {
    const ok = await receiver(() => 204);
    const endpoint = await t.addEndpoint('org_a', ok.url);
    await t.importRecords(readyTranscriptLines('org_a', 1));
    await t.store.db.updateTable('webhook_endpoints').set({ status: 'disabled' }).execute();
    worker();
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(ok.requests).toHaveLength(0);
    await t.store.db
      .updateTable('webhook_endpoints')
      .set({ status: 'enabled' })
      .where('id', '=', endpoint.id)
      .execute();
    await ok.waitFor(1);
  });
});

describe('a production deployment', () => {
  async function tcpListener(): Promise<{ url: (host: string) => string; connections: () => number }> {
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { url: (host) => `https://${host}:${port}/hook`, connections: () => connections };
  }

  it.each(['127.0.0.1', 'localhost', '[::ffff:127.0.0.1]'])(
    'records blocked_address for https://%s and never connects',
    async (host) => {
      const listener = await tcpListener();
      await t.addEndpoint('org_a', listener.url(host));
      await t.importRecords(readyTranscriptLines('org_a', 1));
      const id = await onlyDelivery();
      worker({ environment: 'production', retryScheduleSeconds: [] });
      const row = await waitForDelivery(id, (r) => r.state !== 'pending');
      expect(row).toMatchObject({ state: 'failed', last_status_code: null, last_error_class: 'blocked_address' });
      expect(listener.connections()).toBe(0);
    },
  );

  it('a sandbox deployment connects to the same loopback listener (the guard is what blocks)', async () => {
    const listener = await tcpListener();
    await t.addEndpoint('org_a', listener.url('127.0.0.1'));
    await t.importRecords(readyTranscriptLines('org_a', 1));
    const id = await onlyDelivery();
    worker({ environment: 'sandbox', retryScheduleSeconds: [] });
    const row = await waitForDelivery(id, (r) => r.state !== 'pending');
    expect(row.last_error_class).not.toBe('blocked_address');
    expect(listener.connections()).toBeGreaterThan(0);
  });
});

describe('stopping the worker', () => {
  it('claims nothing more, and lets an attempt in flight finish and record its outcome', async () => {
    const slow = await receiver(() => ({ status: 204, delayMs: 700 }));
    await t.addEndpoint('org_a', slow.url);
    await t.importRecords(readyTranscriptLines('org_a', 1));
    const id = await onlyDelivery();
    const running = worker({ graceMs: 5000, leaseMs: 8000 });
    await slow.waitFor(1);
    await running.stop();
    const row = await findDelivery(t.store.db, id);
    expect(row).toMatchObject({ state: 'delivered', attempts: 1, last_status_code: 204, lease_owner: null });
    // A delivery queued after the stop is left for another instance.
    await t.importRecords(readyTranscriptLines('org_a', 1, 'after'));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(slow.requests).toHaveLength(1);
  });

  it('gives back the lease of an attempt cut short after the grace period, uncounted', async () => {
    const slow = await receiver(() => 'hang');
    await t.addEndpoint('org_a', slow.url);
    await t.importRecords(readyTranscriptLines('org_a', 1));
    const id = await onlyDelivery();
    const running = worker({ graceMs: 200, leaseMs: 20_000 });
    await slow.waitFor(1);
    const leased = await findDelivery(t.store.db, id);
    expect(leased).toMatchObject({
      attempts: 1,
      lease_owner: expect.stringMatching(new RegExp(`^${running.instanceId}\\.`)),
    });
    await running.stop();
    const row = await findDelivery(t.store.db, id);
    expect(row).toMatchObject({
      state: 'pending',
      attempts: 0,
      lease_owner: null,
      lease_until_ms: null,
      last_attempt_at_ms: null,
    });
    // Another instance picks it up at once.
    slow.respond = () => 204;
    worker();
    await waitForDelivery(id, (r) => r.state === 'delivered');
    expect(slow.requests.map((request) => request.headers['charthero-delivery-id'])).toStrictEqual([id, id]);
  });
});
