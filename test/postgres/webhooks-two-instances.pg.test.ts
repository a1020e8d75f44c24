/**
 * Two `charthero serve` instances share one PostgreSQL delivery queue (FOR UPDATE SKIP LOCKED): over a thousand
 * events fanned out to one endpoint, every delivery arrives (nothing lost) and, without crashes, exactly once
 * (nothing sent twice), and both instances take part.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliSandbox, cliSandbox, ensureBuilt } from '../cli/cli.js';
import { type ServerProcess, startServerProcess } from '../multi-instance/processes.js';
import { readyTranscriptLines, writeNdjson } from '../webhooks/support/fixtures.js';
import { type Receiver, startReceiver } from '../webhooks/support/receiver.js';

const EVENTS = 1100;
let cli: CliSandbox;
let receiver: Receiver;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  ensureBuilt();
  cli = await cliSandbox();
  expect(cli.database.dialect).toBe('postgres');
  receiver = await startReceiver(() => 204);
  cli.json(['org', 'create', '--name', 'Busy Clinic', '--id', 'org_busy']);
  cli.json(['org', 'allowlist', 'org_busy']);
  cli.json(['webhook', 'add', 'org_busy', '--url', receiver.url]);
  for (let i = 0; i < 2; i++) servers.push(await startServerProcess({ ...cli.env, LOG_LEVEL: 'info' }));
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await receiver?.close();
  await cli?.close();
});

describe('two serve instances sharing the PostgreSQL webhook queue', () => {
  it('delivers every one of 1 100 deliveries exactly once across two instances', async () => {
    cli.json(['import', writeNdjson(cli.dir, 'many.ndjson', readyTranscriptLines('org_busy', EVENTS))]);
    await receiver.waitFor(EVENTS, 120_000);
    // Anything sent twice would arrive after the last first send; give it time to show.
    await new Promise((resolve) => setTimeout(resolve, 2000));

    const received = receiver.requests.map((request) => String(request.headers['charthero-delivery-id']));
    const stored = await cli.withDb((db) =>
      db.selectFrom('webhook_deliveries').select(['id', 'state', 'attempts']).execute(),
    );
    expect(stored).toHaveLength(EVENTS);
    expect(received).toHaveLength(EVENTS);
    expect(new Set(received).size).toBe(EVENTS);
    expect(new Set(received)).toStrictEqual(new Set(stored.map((row) => row.id)));
    expect(stored.every((row) => row.state === 'delivered' && row.attempts === 1)).toBe(true);

    const events = new Set(receiver.requests.map((request) => String(request.headers['charthero-event-id'])));
    expect(events.size).toBe(EVENTS);
    // Both instances sent some: each logs one line per attempt.
    for (const server of servers) expect(server.stdout().split('"webhook attempt"').length - 1).toBeGreaterThan(0);
    const perInstance = servers.map((server) => server.stdout().split('"webhook attempt"').length - 1);
    expect(perInstance[0]! + perInstance[1]!).toBe(EVENTS);
  }, 180_000);
});
