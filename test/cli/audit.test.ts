/**
 * `charthero audit list|export|anchor|verify` against ledgers written by the server's own ledger writer, and the
 * tamper matrix: every way of altering the stored ledger is caught by `audit verify`, naming the record.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Kysely, type Migration, Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditChainKey, readKeyringFile } from '../../src/access/digest-keyring.js';
import { type AuditRow, CHAINED_FIELDS, chainHash, GENESIS_HASH, legacyHash } from '../../src/audit/chain.js';
import type { AuditEvent } from '../../src/audit/events.js';
import { auditFields, createAuditLedger } from '../../src/audit/ledger.js';
import { openStore } from '../../src/store/db.js';
import * as initial from '../../src/store/migrations/001-initial.js';
import type { Database } from '../../src/store/schema.js';
import { type CliSandbox, cliSandbox, ensureBuilt } from './cli.js';

let cli: CliSandbox;
const chains: string[] = [];

function event(index: number, organizationId: string | null, patch: Partial<AuditEvent> = {}): AuditEvent {
  return {
    atMs: Date.UTC(2026, 4, 1) + index * 60_000,
    event: 'request',
    requestId: `req-${index}`,
    keyId: organizationId ? 'key_a' : null,
    organizationId,
    routeId: 'list_encounters',
    method: 'GET',
    status: 200,
    reasonCode: null,
    resourceIds: [`enc_${index}`],
    clientIp: '127.0.0.1',
    userAgent: 'test',
    latencyMs: 1.25,
    ...patch,
  };
}

/** Two server processes' worth of records: chain A gets requests 1–6, chain B 7–9 plus a refusal. */
async function writeLedgers(): Promise<void> {
  const store = openStore(cli.database.url);
  const keyring = readKeyringFile(cli.env.CHARTHERO_DIGEST_KEYS_FILE!, { requirePrivate: false });
  try {
    const options = { keyring: () => keyring, commitTimeoutMs: 5000, flushIntervalMs: 60_000 };
    const a = createAuditLedger(store, options);
    for (let i = 1; i <= 6; i++) {
      if (i % 3 === 0) a.record(event(i, 'org_a', { status: 403, reasonCode: 'missing_scope', resourceIds: [] }));
      else await a.commit([event(i, i % 2 === 0 ? 'org_a' : 'org_b')]);
      await a.flush();
    }
    await a.close();
    const b = createAuditLedger(store, options);
    for (let i = 7; i <= 9; i++) await b.commit([event(i, 'org_a')]);
    b.record(event(10, null, { status: 401, reasonCode: 'invalid_key', resourceIds: [] }));
    await b.close();
    chains.push(a.chainId, b.chainId);
  } finally {
    await store.close();
  }
}

const verify = (...args: string[]) => cli.run(['audit', 'verify', ...args]);

function expectBroken(result: ReturnType<typeof verify>, message: string) {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toBe(`charthero: audit ledger broken: ${message}\n`);
}

/** Runs `work` on the database, then puts every audit row back exactly as it was. */
async function tampered(work: (db: Kysely<Database>, rows: AuditRow[]) => Promise<void>, check: () => void) {
  const saved = await cli.withDb((db) => db.selectFrom('audit_events').selectAll().orderBy('id').execute());
  try {
    await cli.withDb((db) => work(db, saved));
    check();
  } finally {
    await cli.withDb(async (db) => {
      await db.deleteFrom('audit_events').execute();
      for (const row of saved) await db.insertInto('audit_events').values(row).execute();
    });
  }
}

const chainRows = (rows: AuditRow[], chain: string) => rows.filter((row) => row.chain_id === chain);

beforeAll(async () => {
  ensureBuilt();
  cli = await cliSandbox();
  cli.json(['org', 'create', '--name', 'A', '--id', 'org_a']);
  cli.json(['org', 'create', '--name', 'B', '--id', 'org_b']);
  await writeLedgers();
});
afterAll(() => cli?.close());

describe('charthero audit list', () => {
  it('lists records of every chain, newest first, with filters', () => {
    const all = cli.json<{ events: { request_id: string; chain: string; seq: number }[] }>(['audit', 'list']);
    expect(all.events.map((e) => e.request_id)).toEqual([
      'req-10',
      'req-9',
      'req-8',
      'req-7',
      'req-6',
      'req-5',
      'req-4',
      'req-3',
      'req-2',
      'req-1',
    ]);
    expect(new Set(all.events.map((e) => e.chain))).toEqual(new Set(chains));
    const six = cli.json<{ events: Record<string, unknown>[] }>(['audit', 'list', '--limit', '5']).events[4];
    expect(six).toEqual({
      id: 6,
      chain: chains[0],
      seq: 6,
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
      count: 1,
    });
    const orgB = cli.json<{ events: { request_id: string }[] }>(['audit', 'list', '--org', 'org_b']);
    expect(orgB.events.map((e) => e.request_id)).toEqual(['req-5', 'req-1']);
    const since = cli.json<{ events: { request_id: string }[] }>([
      'audit',
      'list',
      '--since',
      '2026-05-01T00:08:00Z',
      '--limit',
      '2',
    ]);
    expect(since.events.map((e) => e.request_id)).toEqual(['req-10', 'req-9']);
    const plain = cli.run(['audit', 'list', '--org', 'org_b', '--limit', '1']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(
      '2026-05-01T00:05:00Z  request  GET  list_encounters  200  -  key=key_a  org=org_b  request=req-5  enc_5\n',
    );
  });
});

describe('charthero audit export', () => {
  it('streams every record as NDJSON, oldest first, with its chain position and hashes', async () => {
    const result = cli.run(['audit', 'export']);
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.request_id)).toEqual(Array.from({ length: 10 }, (_, i) => `req-${i + 1}`));
    const stored = await cli.withDb((db) => db.selectFrom('audit_events').selectAll().orderBy('id').execute());
    expect(lines[0]).toEqual({
      id: 1,
      chain: chains[0],
      seq: 1,
      at: '2026-05-01T00:01:00Z',
      at_ms: Date.UTC(2026, 4, 1, 0, 1),
      event: 'request',
      request_id: 'req-1',
      key_id: 'key_a',
      organization_id: 'org_b',
      route_id: 'list_encounters',
      method: 'GET',
      status: 200,
      reason_code: null,
      resource_ids: ['enc_1'],
      client_ip: '127.0.0.1',
      user_agent: 'test',
      latency_ms: 1.25,
      count: 1,
      key_version: 1,
      prev_hash: GENESIS_HASH,
      hash: stored[0]!.hash,
    });
  });

  it('filters by time range and organization', () => {
    const ids = (args: string[]) =>
      cli
        .run(['audit', 'export', ...args])
        .stdout.trimEnd()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line).request_id);
    expect(ids(['--since', '2026-05-01T00:03:00Z', '--until', '2026-05-01T00:05:00Z'])).toEqual(['req-3', 'req-4']);
    expect(ids(['--org', 'org_b'])).toEqual(['req-1', 'req-5']);
    expect(ids(['--since', '2027-01-01T00:00:00Z'])).toEqual([]);
  });

  it('refuses a bad range or an unknown organization with one line', () => {
    for (const [args, message] of [
      [['--since', '2026-05-02T00:00:00Z', '--until', '2026-05-01T00:00:00Z'], '--since must be before --until'],
      [['--org', 'org_nope'], 'unknown organization "org_nope"'],
      [
        ['--until', 'tomorrow'],
        '--until must be an RFC 3339 date-time with offset, such as 2026-12-31T23:59:59Z (got "tomorrow")',
      ],
    ] as const) {
      const result = cli.run(['audit', 'export', ...args]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`charthero: ${message}\n`);
    }
  });
});

describe('charthero audit anchor and verify: an untouched ledger', () => {
  it('anchor prints every chain head as JSON', async () => {
    const stored = await cli.withDb((db) => db.selectFrom('audit_events').selectAll().orderBy('id').execute());
    const anchor = JSON.parse(cli.run(['audit', 'anchor']).stdout);
    expect(anchor.anchored_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(new Set(anchor.chains)).toEqual(
      new Set(
        chains.map((chain) => {
          const last = chainRows(stored, chain).at(-1)!;
          return { chain, seq: Number(last.seq), hash: last.hash };
        }),
      ),
    );
    expect(cli.json(['audit', 'anchor'])).toMatchObject({ chains: anchor.chains });
  });

  it('verify checks every chain, with and without an anchor', () => {
    const anchorFile = join(cli.dir, 'anchor.json');
    writeFileSync(anchorFile, cli.run(['audit', 'anchor']).stdout);
    const result = cli.json<{ ok: boolean; records: number; chains: { chain: string; records: number }[] }>([
      'audit',
      'verify',
      '--anchor',
      anchorFile,
    ]);
    expect(result).toMatchObject({ ok: true, records: 10, anchored: 2 });
    expect(result.chains.map((chain) => [chain.chain, chain.records])).toEqual(
      [
        [chains[0], 6],
        [chains[1], 4],
      ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
    const plain = verify();
    expect(plain.code).toBe(0);
    expect(plain.stdout.split('\n')[0]).toBe('audit ledger intact: 10 records in 2 chains');
  });

  it('refuses an unreadable or malformed anchor', () => {
    const bad = join(cli.dir, 'bad-anchor.json');
    writeFileSync(bad, '{"chains": [{"chain": "x", "seq": 0, "hash": "00"}]}');
    expect(verify('--anchor', bad).stderr).toBe(
      `charthero: --anchor ${bad}: anchor chains[0] needs a "chain" and a positive integer "seq"\n`,
    );
    expect(verify('--anchor', join(cli.dir, 'nope.json')).stderr).toBe(
      `charthero: cannot read --anchor ${join(cli.dir, 'nope.json')} (ENOENT)\n`,
    );
  });
});

describe('the tamper matrix: every alteration is caught, naming the record', () => {
  const recordOf = (rows: AuditRow[], chain: string, seq: number) =>
    chainRows(rows, chain).find((row) => Number(row.seq) === seq)!;

  it('a deleted record', async () => {
    await tampered(
      async (db, rows) => {
        await db
          .deleteFrom('audit_events')
          .where('id', '=', recordOf(rows, chains[0]!, 3).id)
          .execute();
      },
      () => {
        const next = 4; // chain A's seq 4 is row id 4
        expectBroken(verify(), `chain ${chains[0]} at record ${next} (seq 4): records 3 of the chain are missing`);
      },
    );
  });

  it('an edited field (each field, one at a time)', async () => {
    for (const [column, value] of [
      ['key_id', 'key_someone_else'],
      ['organization_id', 'org_b'],
      ['resource_ids', '[]'],
      ['status', 404],
      ['at_ms', 1],
      ['count', 2],
      ['client_ip', '10.0.0.1'],
    ] as const) {
      await tampered(
        async (db, rows) => {
          const victim = recordOf(rows, chains[0]!, 2);
          await db
            .updateTable('audit_events')
            .set({ [column]: value })
            .where('id', '=', victim.id)
            .execute();
        },
        () => expectBroken(verify(), `chain ${chains[0]} at record 2 (seq 2): hash does not match the record contents`),
      );
    }
  }, 180_000);

  it('two records swapped', async () => {
    await tampered(
      async (db, rows) => {
        const [x, y] = [recordOf(rows, chains[0]!, 4), recordOf(rows, chains[0]!, 5)];
        await db.updateTable('audit_events').set({ seq: -1 }).where('id', '=', x.id).execute();
        await db.updateTable('audit_events').set({ seq: x.seq }).where('id', '=', y.id).execute();
        await db.updateTable('audit_events').set({ seq: y.seq }).where('id', '=', x.id).execute();
      },
      () =>
        expectBroken(verify(), `chain ${chains[0]} at record 5 (seq 4): prev_hash does not match the previous record`),
    );
  });

  it('a record moved to the other chain', async () => {
    await tampered(
      async (db, rows) => {
        const moved = recordOf(rows, chains[1]!, 4);
        await db
          .updateTable('audit_events')
          .set({ chain_id: chains[0]!, seq: 7, prev_hash: recordOf(rows, chains[0]!, 6).hash })
          .where('id', '=', moved.id)
          .execute();
      },
      () => expectBroken(verify(), `chain ${chains[0]} at record 10 (seq 7): hash does not match the record contents`),
    );
  });

  it('the tail cut off: invisible to the links alone, caught with an anchor', async () => {
    const anchorFile = join(cli.dir, 'anchor-tail.json');
    writeFileSync(anchorFile, cli.run(['audit', 'anchor']).stdout);
    await tampered(
      async (db, rows) => {
        const last = chainRows(rows, chains[0]!).slice(-2);
        await db
          .deleteFrom('audit_events')
          .where(
            'id',
            'in',
            last.map((row) => row.id),
          )
          .execute();
      },
      () => {
        expect(verify().code).toBe(0);
        expectBroken(
          verify('--anchor', anchorFile),
          `chain ${chains[0]} at seq 6: the anchored record (seq 6) is missing (records removed from the end)`,
        );
      },
    );
  });

  it('a whole chain deleted: caught with an anchor', async () => {
    const anchorFile = join(cli.dir, 'anchor-chain.json');
    writeFileSync(anchorFile, cli.run(['audit', 'anchor']).stdout);
    await tampered(
      async (db) => {
        await db.deleteFrom('audit_events').where('chain_id', '=', chains[1]!).execute();
      },
      () =>
        expectBroken(
          verify('--anchor', anchorFile),
          `chain ${chains[1]} at seq 4: the anchored record (seq 4) is missing (records removed from the end)`,
        ),
    );
  });

  /** Edits chain A's seq 2 and recomputes every later hash of the chain with `hash`. */
  async function rewrite(db: Kysely<Database>, rows: AuditRow[], hash: (prev: string, row: AuditRow) => string) {
    let previous = recordOf(rows, chains[0]!, 1).hash;
    for (const row of chainRows(rows, chains[0]!).slice(1)) {
      const edited = { ...row, prev_hash: previous, key_id: Number(row.seq) === 2 ? 'key_forged' : row.key_id };
      edited.hash = hash(previous, edited);
      await db
        .updateTable('audit_events')
        .set({ key_id: edited.key_id, prev_hash: edited.prev_hash, hash: edited.hash })
        .where('id', '=', row.id)
        .execute();
      previous = edited.hash;
    }
  }

  const canonical = (row: AuditRow) =>
    JSON.stringify(Object.fromEntries(CHAINED_FIELDS.map((name) => [name, row[name] ?? null])));

  it('rewritten and recomputed without the keyring: plain SHA-256, a wrong key, the legacy algorithm', {
    timeout: 180_000,
  }, async () => {
    const forgeries: ((prev: string, row: AuditRow) => string)[] = [
      (prev, row) =>
        createHash('sha256')
          .update(`${prev}\n${canonical(row)}`)
          .digest('hex'),
      (prev, row) => chainHash(randomBytes(32), prev, row),
      // The raw keyring secret of a guessed key, or the legacy SHA-256 encoding.
      (prev, row) =>
        createHmac('sha256', randomBytes(32))
          .update(`${prev}\n${canonical(row)}`)
          .digest('hex'),
      (prev, row) => legacyHash(prev, row),
    ];
    for (const forge of forgeries) {
      await tampered(
        (db, rows) => rewrite(db, rows, forge),
        () => expectBroken(verify(), `chain ${chains[0]} at record 2 (seq 2): hash does not match the record contents`),
      );
    }
  });

  it('rewritten by someone holding the keyring: consistent, but caught with an anchor', async () => {
    const anchorFile = join(cli.dir, 'anchor-insider.json');
    writeFileSync(anchorFile, cli.run(['audit', 'anchor']).stdout);
    const keyring = readKeyringFile(cli.env.CHARTHERO_DIGEST_KEYS_FILE!, { requirePrivate: false });
    const key = auditChainKey(keyring.entries[0]!);
    await tampered(
      (db, rows) => rewrite(db, rows, (prev, row) => chainHash(key, prev, row)),
      () => {
        expect(verify().code).toBe(0);
        expectBroken(
          verify('--anchor', anchorFile),
          `chain ${chains[0]} at record 6 (seq 6): the record differs from the anchor (history rewritten since it was anchored)`,
        );
      },
    );
  });

  it('several chains broken: the first bad record of each is named', async () => {
    await tampered(
      async (db, rows) => {
        await db
          .updateTable('audit_events')
          .set({ status: 500 })
          .where('id', '=', recordOf(rows, chains[0]!, 5).id)
          .execute();
        await db
          .updateTable('audit_events')
          .set({ status: 500 })
          .where('id', '=', recordOf(rows, chains[1]!, 2).id)
          .execute();
        await db
          .updateTable('audit_events')
          .set({ status: 500 })
          .where('id', '=', recordOf(rows, chains[1]!, 3).id)
          .execute();
      },
      () => {
        const result = verify('--json');
        expect(result.code).toBe(1);
        for (const [chain, id, seq] of [
          [chains[0], 5, 5],
          [chains[1], 8, 2],
        ]) {
          expect(result.stderr).toContain(
            `chain ${chain} at record ${id} (seq ${seq}): hash does not match the record contents`,
          );
        }
        expect(result.stderr.split('\n')).toHaveLength(2); // one line
      },
    );
  });

  it('a keyring that lacks the version a chain was written with', () => {
    const other = join(cli.dir, 'other-keys.json');
    expect(cli.run(['keyring', 'create', other]).code).toBe(0);
    const result = verify();
    expect(result.code).toBe(0);
    const foreign = cli.run(['audit', 'verify'], { CHARTHERO_DIGEST_KEYS_FILE: other });
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain(`chain ${chains[0]} at record 1 (seq 1): hash does not match the record contents`);
  });
});

describe('migration 002 carries an existing ledger over', () => {
  let legacy: CliSandbox;
  afterAll(() => legacy?.close());

  it('the old SHA-256 chain stays verifiable as it was, next to the new chains', async () => {
    legacy = await cliSandbox();
    // A database as the previous version left it: schema 001 and a legacy chain with its head row.
    const store = openStore(legacy.database.url);
    try {
      const migrations: Record<string, Migration> = {
        '001-initial': { up: (db: Kysely<unknown>) => initial.up(db, legacy.database.dialect) },
      };
      const result = await new Migrator({
        db: store.db,
        provider: { getMigrations: async () => migrations },
      }).migrateToLatest();
      expect(result.error).toBeUndefined();
      let previous = GENESIS_HASH;
      for (let i = 1; i <= 4; i++) {
        const { count: _count, ...fields } = auditFields(event(i, 'org_a'));
        const hash = legacyHash(previous, { ...fields, count: 1 });
        await (store.db as unknown as Kysely<Record<string, Record<string, unknown>>>)
          .insertInto('audit_events')
          .values({ ...fields, prev_hash: previous, hash })
          .execute();
        previous = hash;
      }
      await store.db.updateTable('audit_chain_head').set({ last_hash: previous }).where('id', '=', 1).execute();
    } finally {
      await store.close();
    }
    // The CLI migrates to 002 and verifies the legacy chain.
    const intact = legacy.json<{ records: number; chains: { chain: string; records: number }[] }>(['audit', 'verify']);
    expect(intact).toMatchObject({ records: 4, chains: [{ chain: 'legacy', records: 4, last_seq: 4 }] });
    const anchor = legacy.json<{ chains: unknown[] }>(['audit', 'anchor']);
    expect(anchor.chains).toEqual([{ chain: 'legacy', seq: 4, hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);

    await legacy.withDb((db) => db.updateTable('audit_events').set({ status: 500 }).where('id', '=', 2).execute());
    const edited = legacy.run(['audit', 'verify']);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toBe(
      'charthero: audit ledger broken: chain legacy at record 2 (seq 2): hash does not match the record contents\n',
    );
    await legacy.withDb((db) => db.updateTable('audit_events').set({ status: 200 }).where('id', '=', 2).execute());
    await legacy.withDb((db) => db.deleteFrom('audit_events').where('id', '=', 4).execute());
    const cut = legacy.run(['audit', 'verify']);
    expect(cut.stderr).toBe(
      'charthero: audit ledger broken: chain legacy at seq 4: the recorded legacy chain head is not in the ledger (records removed from the end)\n',
    );
  });
});
