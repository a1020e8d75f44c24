/**
 * End to end through the real binaries: `charthero webhook add`, `charthero import` (the outbox), `charthero serve`
 * (the worker) and a real receiver on loopback that fails the first attempts. The receiver sees the configured
 * schedule, one delivery id on every attempt, signatures the SDK accepts and the exact body bytes; the CLI then
 * reports the delivery as delivered; and the endpoint secret appears nowhere in the database files or the logs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../packages/client/src/index.js';
import { type CliSandbox, cliSandbox, ensureBuilt } from '../cli/cli.js';
import { type ServerProcess, startServerProcess } from '../multi-instance/processes.js';
import { expectedBody, readyTranscriptLines, writeNdjson } from './support/fixtures.js';
import { type Receiver, startReceiver } from './support/receiver.js';

const SCHEDULE = [1, 2, 3];
const FAILURES = SCHEDULE.length; // The last of the four attempts succeeds.

let cli: CliSandbox;
let receiver: Receiver;
let server: ServerProcess | undefined;
let endpoint: { id: string; secret: string; url: string; status: string; created_at: string };
let cliOutput = '';

beforeAll(async () => {
  ensureBuilt();
  cli = await cliSandbox();
  receiver = await startReceiver((_request, index) => (index < FAILURES ? 503 : 204));
  const run = (args: string[]) => {
    const result = cli.run(args);
    cliOutput += result.stdout + result.stderr;
    if (result.code !== 0) throw new Error(`${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  run(['org', 'create', '--name', 'Hook Clinic', '--id', 'org_hook']);
  run(['org', 'allowlist', 'org_hook']);
  endpoint = JSON.parse(
    run(['webhook', 'add', 'org_hook', '--url', receiver.url, '--description', 'partner', '--json']),
  );
  run(['import', writeNdjson(cli.dir, 'ready.ndjson', readyTranscriptLines('org_hook', 1))]);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await receiver?.close();
  await cli?.close();
});

describe('a transcript_ready delivery through charthero serve', () => {
  it('add prints the endpoint and its secret once', () => {
    expect(endpoint).toStrictEqual({
      id: expect.stringMatching(/^whe_[0-9A-Za-z]{24}$/),
      secret: expect.stringMatching(/^whsec_[0-9A-Za-z]{32}$/),
      url: receiver.url,
      status: 'enabled',
      organization_id: 'org_hook',
      description: 'partner',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/),
    });
  });

  it('fails the first attempts, retries on the configured schedule with one delivery id, then delivers', async () => {
    server = await startServerProcess({
      ...cli.env,
      CHARTHERO_WEBHOOK_RETRY_SCHEDULE: SCHEDULE.join(','),
      LOG_LEVEL: 'info',
    });
    const requests = await receiver.waitFor(FAILURES + 1, 30_000);
    // No fifth attempt after the 204.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.requests).toHaveLength(FAILURES + 1);

    const gaps = requests.slice(1).map((request, i) => request.at - requests[i]!.at);
    SCHEDULE.forEach((seconds, i) => {
      // ±10 % jitter, plus the worker's own latency (a claim and a write) on a loaded machine.
      expect(gaps[i]).toBeGreaterThanOrEqual(seconds * 900 - 20);
      expect(gaps[i]).toBeLessThanOrEqual(seconds * 1100 + 500);
    });

    const [deliveries] = [cli.json<{ deliveries: Record<string, unknown>[] }>(['webhook', 'deliveries']).deliveries];
    expect(deliveries).toHaveLength(1);
    const delivery = deliveries[0]!;
    expect(delivery).toStrictEqual({
      id: expect.stringMatching(/^whd_[0-9A-Za-z]{24}$/),
      event_id: expect.stringMatching(/^evt_[0-9A-Za-z]{24}$/),
      endpoint_id: endpoint.id,
      status: 'delivered',
      attempts: FAILURES + 1,
      last_status_code: 204,
      last_error_class: null,
      last_latency_ms: expect.any(Number),
      last_attempt_at: expect.any(String),
      next_attempt_at: null,
      delivered_at: expect.any(String),
      created_at: expect.any(String),
    });

    const body = expectedBody(delivery.event_id as string, 'org_hook', 'enc_w1', 'doc_w1');
    for (const request of requests) {
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/hooks/charthero');
      expect(request.body.toString('utf8')).toBe(body);
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['user-agent']).toBe('ChartHero-Webhooks/1');
      expect(request.headers['charthero-event-id']).toBe(delivery.event_id);
      expect(request.headers['charthero-delivery-id']).toBe(delivery.id);
      expect(request.headers['charthero-webhook-version']).toBe('2026-05-01');
      const timestamp = Number(request.headers['charthero-timestamp']);
      expect(String(timestamp)).toBe(request.headers['charthero-timestamp']);
      expect(Math.abs(timestamp - request.at / 1000)).toBeLessThan(2);
      expect(request.headers['charthero-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
      const event = verifyWebhook(request.body, request.headers, endpoint.secret, {
        nowSeconds: Math.floor(request.at / 1000),
      });
      expect(event).toStrictEqual(JSON.parse(body));
    }

    const list = cli.json<{ endpoints: Record<string, unknown>[] }>(['webhook', 'list', '--org', 'org_hook']);
    expect(list.endpoints).toStrictEqual([
      {
        id: endpoint.id,
        organization_id: 'org_hook',
        url: receiver.url,
        description: 'partner',
        status: 'enabled',
        created_at: endpoint.created_at,
        previous_secret_valid_until: null,
        last_delivery: { state: 'delivered', status_code: 204, error_class: null, at: delivery.last_attempt_at },
        consecutive_failures: 0,
      },
    ]);
  }, 60_000);

  it('never writes the endpoint secret to the database files or the logs', async () => {
    await server?.stop();
    const logs = server!.stdout() + server!.stderr() + cliOutput.replace(endpoint.secret, ''); // `add` prints it once, by design.
    expect(cliOutput.split(endpoint.secret)).toHaveLength(2);
    expect(logs).toContain('webhook attempt'); // The worker did log its attempts.
    expect(logs).not.toContain(endpoint.secret);
    expect(logs).not.toContain(endpoint.secret.slice('whsec_'.length));
    if (cli.database.dialect === 'sqlite') {
      const files = readdirSync(cli.dir).filter((name) => name.startsWith('charthero.sqlite'));
      expect(files).toContain('charthero.sqlite');
      for (const name of files) {
        const bytes = readFileSync(join(cli.dir, name));
        expect(bytes.includes(Buffer.from(endpoint.secret.slice('whsec_'.length)))).toBe(false);
      }
    }
    const rows = await cli.withDb((db) => db.selectFrom('webhook_endpoints').selectAll().execute());
    expect(JSON.stringify(rows)).not.toContain(endpoint.secret.slice('whsec_'.length));
  });
});
