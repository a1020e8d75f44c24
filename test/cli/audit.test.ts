import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditFields, auditHash, GENESIS_HASH, verifyChain } from '../../src/audit/chain.js';
import { appendAuditBatch } from '../../src/audit/ledger.js';
import { openStore } from '../../src/store/db.js';
import { type CliSandbox, cliSandbox, ensureBuilt } from './cli.js';

let cli: CliSandbox;

function event(index: number, organizationId: string | null): AuditFields {
  return {
    at_ms: Date.UTC(2026, 4, 1) + index * 60_000,
    event: 'request',
    request_id: `req-${index}`,
    key_id: organizationId ? 'key_a' : null,
    organization_id: organizationId,
    route_id: 'list_encounters',
    method: 'GET',
    status: index % 3 === 0 ? 403 : 200,
    reason_code: index % 3 === 0 ? 'missing_scope' : null,
    resource_ids: JSON.stringify(index % 3 === 0 ? [] : [`enc_${index}`]),
    client_ip: '127.0.0.1',
    user_agent: 'test',
    latency_ms: 1.25,
  };
}

beforeAll(async () => {
  ensureBuilt();
  cli = await cliSandbox();
  cli.json(['org', 'create', '--name', 'A', '--id', 'org_a']);
  cli.json(['org', 'create', '--name', 'B', '--id', 'org_b']);
});
afterAll(() => cli?.close());

describe('audit chain functions', () => {
  it('hash the previous hash and the fields in a fixed order', () => {
    const fields = event(1, 'org_a');
    const reordered = Object.fromEntries(Object.entries(fields).reverse()) as AuditFields;
    expect(auditHash(GENESIS_HASH, reordered)).toBe(auditHash(GENESIS_HASH, fields));
    expect(auditHash(GENESIS_HASH, fields)).toMatch(/^[0-9a-f]{64}$/);
    expect(auditHash('1'.repeat(64), fields)).not.toBe(auditHash(GENESIS_HASH, fields));
    expect(auditHash(GENESIS_HASH, { ...fields, status: 201 })).not.toBe(auditHash(GENESIS_HASH, fields));
  });

  it('verify a chain and find the first broken row', () => {
    let previous = GENESIS_HASH;
    const rows = [1, 2, 3].map((id) => {
      const fields = event(id, 'org_a');
      const hash = auditHash(previous, fields);
      const row = { ...fields, id, prev_hash: previous, hash };
      previous = hash;
      return row;
    });
    expect(verifyChain(rows)).toEqual({ ok: true, checked: 3, lastHash: previous });
    expect(verifyChain(rows.slice(1), rows[0]!.hash)).toMatchObject({ ok: true, checked: 2 });
    expect(verifyChain([rows[0]!, rows[2]!])).toMatchObject({ ok: false, brokenId: 3, checked: 1 });
    expect(verifyChain([rows[0]!, { ...rows[1]!, status: 500 }, rows[2]!])).toEqual({
      ok: false,
      checked: 1,
      brokenId: 2,
      problem: 'hash does not match the row contents',
    });
  });
});

describe('charthero audit', () => {
  it('verifies an empty ledger', () => {
    expect(cli.json(['audit', 'verify'])).toEqual({ ok: true, events: 0, last_hash: GENESIS_HASH });
  });

  it('lists events written by the server’s ledger writer, newest first, with filters', async () => {
    const store = openStore(cli.database.url);
    try {
      await appendAuditBatch(
        store,
        [1, 2, 3, 4, 5, 6].map((i) => event(i, i % 2 === 0 ? 'org_a' : 'org_b')),
      );
      await appendAuditBatch(store, [event(7, null)]);
    } finally {
      await store.close();
    }
    const all = cli.json<{ events: { id: number; request_id: string; resource_ids: string[]; at: string }[] }>([
      'audit',
      'list',
    ]);
    expect(all.events.map((e) => e.request_id)).toEqual([
      'req-7',
      'req-6',
      'req-5',
      'req-4',
      'req-3',
      'req-2',
      'req-1',
    ]);
    expect(all.events[1]).toEqual({
      id: 6,
      at: '2026-05-01T00:06:00Z',
      event: 'request',
      request_id: 'req-6',
      key_id: 'key_a',
      organization_id: 'org_a',
      route_id: 'list_encounters',
      method: 'GET',
      status: 403,
      reason_code: 'missing_scope',
      resource_ids: [],
      client_ip: '127.0.0.1',
      user_agent: 'test',
      latency_ms: 1.25,
    });
    const orgA = cli.json<{ events: { request_id: string }[] }>(['audit', 'list', '--org', 'org_a']);
    expect(orgA.events.map((e) => e.request_id)).toEqual(['req-6', 'req-4', 'req-2']);
    const since = cli.json<{ events: { request_id: string }[] }>([
      'audit',
      'list',
      '--since',
      '2026-05-01T00:05:00Z',
      '--limit',
      '2',
    ]);
    expect(since.events.map((e) => e.request_id)).toEqual(['req-7', 'req-6']);

    const plain = cli.run(['audit', 'list', '--org', 'org_b', '--limit', '1']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(
      '2026-05-01T00:05:00Z  request  GET  list_encounters  200  -  key=key_a  org=org_b  request=req-5  enc_5\n',
    );
  });

  it('verifies an intact chain', () => {
    const result = cli.json<{ ok: boolean; events: number; last_hash: string }>(['audit', 'verify']);
    expect(result).toMatchObject({ ok: true, events: 7 });
    const plain = cli.run(['audit', 'verify']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(`audit chain intact: 7 events, last hash ${result.last_hash}\n`);
  });

  it('names the first broken row when a row was edited', async () => {
    await cli.withDb((db) => db.updateTable('audit_events').set({ status: 200 }).where('id', '=', 3).execute());
    for (const json of [[], ['--json']]) {
      const result = cli.run(['audit', 'verify', ...json]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        'charthero: audit chain broken at event 3: hash does not match the row contents (2 events before it verified)\n',
      );
    }
    await cli.withDb((db) => db.updateTable('audit_events').set({ status: 403 }).where('id', '=', 3).execute());
    expect(cli.json(['audit', 'verify'])).toMatchObject({ ok: true });
  });

  it('detects a row deleted from the middle, and rows cut from the end', async () => {
    const saved = await cli.withDb((db) => db.selectFrom('audit_events').selectAll().orderBy('id').execute());
    await cli.withDb((db) => db.deleteFrom('audit_events').where('id', '=', 4).execute());
    const middle = cli.run(['audit', 'verify']);
    expect(middle.code).toBe(1);
    expect(middle.stderr).toBe(
      'charthero: audit chain broken at event 5: prev_hash does not match the previous row (3 events before it verified)\n',
    );
    await cli.withDb((db) => db.insertInto('audit_events').values(saved[3]!).execute());

    await cli.withDb((db) => db.deleteFrom('audit_events').where('id', '>=', 6).execute());
    const tail = cli.run(['audit', 'verify', '--json']);
    expect(tail.code).toBe(1);
    expect(tail.stdout).toBe('');
    expect(tail.stderr).toBe(
      'charthero: audit chain broken after event 5: the recorded chain head is not in the ledger (events removed from the end)\n',
    );
  });

  describe('errors', () => {
    const cases: [string[], string][] = [
      [['audit', 'list', '--org', 'org_nope'], 'unknown organization "org_nope"'],
      [
        ['audit', 'list', '--since', 'yesterday'],
        '--since must be an RFC 3339 date-time with offset, such as 2026-12-31T23:59:59Z (got "yesterday")',
      ],
      [['audit', 'list', '--limit', '0'], '--limit must be an integer from 1 to 10000 (got "0")'],
    ];
    for (const [args, message] of cases) {
      it(message, () => {
        for (const variant of [args, [...args, '--json']]) {
          const result = cli.run(variant);
          expect(result.code).toBe(1);
          expect(result.stdout).toBe('');
          expect(result.stderr).toBe(`charthero: ${message}\n`);
        }
      });
    }
  });
});
