/**
 * Durable before disclosure (CONTRACT.md section 14), in process on SQLite or PostgreSQL: a 2xx leaves only once
 * its records are committed; a ledger that cannot be written in time turns the response into 503
 * `datastore_unavailable` with no data; refusals never wait; a flood of unknown keys from one address adds one
 * record per (route, reason, minute).
 */
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REASONS } from '../../src/contract/reasons.js';
import { postgresConnectionString } from '../../src/store/db.js';
import { expectError } from '../support/expect-error.js';
import { type Harness, startHarness } from '../support/harness.js';
import { makeToken } from '../support/keys.js';

const TIMEOUT_MS = 500;
let h: Harness;
let auth: Record<string, string>;

beforeAll(async () => {
  h = await startHarness({ env: { CHARTHERO_DATASTORE_TIMEOUT_MS: String(TIMEOUT_MS) } });
  auth = { authorization: `Bearer ${h.fixture.keys.full.secret}` };
});
afterAll(() => h?.close());

const recordsOf = (requestId: string) =>
  h.runtime.store.db.selectFrom('audit_events').selectAll().where('request_id', '=', requestId).orderBy('id').execute();

/** Holds the audit table's write lock from another connection (SQLite: the database's; PostgreSQL: the table's). */
async function holdAuditLock(): Promise<() => Promise<void>> {
  const url = h.config.databaseUrl;
  if (url.startsWith('sqlite:')) {
    const other = new SqliteDatabase(url.slice('sqlite:'.length));
    other.exec('begin immediate');
    return async () => {
      other.exec('rollback');
      other.close();
    };
  }
  const client = new pg.Client({ connectionString: postgresConnectionString(url) });
  await client.connect();
  await client.query('begin');
  // EXCLUSIVE blocks inserts, not reads: the request's own queries still run, only its audit insert waits.
  await client.query('lock table audit_events in exclusive mode');
  return async () => {
    await client.query('rollback');
    await client.end();
  };
}

const URLS = {
  list: '/external/v1/encounters?limit=3',
  encounter: '/external/v1/encounters/enc_a1',
  document: '/external/v1/encounters/enc_a1/documents/doc_note',
  transcript: '/external/v1/encounters/enc_a1/documents/doc_amb/transcript',
  audio: '/external/v1/encounters/enc_a1/documents/doc_amb/audio',
};

describe('a 2xx is sent only after its records are committed', () => {
  it('every route: the records are in the database when the response arrives (no flush)', async () => {
    for (const [name, url] of Object.entries(URLS)) {
      const requestId = `durable-${name}`;
      const response = await h.runtime.app.inject({ url, headers: { ...auth, 'x-request-id': requestId } });
      expect(response.statusCode, response.body).toBe(200);
      const rows = await recordsOf(requestId);
      expect(rows.map((row) => [row.event, row.status, row.chain_id])).toEqual(
        name === 'audio'
          ? [
              ['request', 200, h.runtime.audit.chainId],
              ['audio_url_issued', 200, h.runtime.audit.chainId],
            ]
          : [['request', 200, h.runtime.audit.chainId]],
      );
    }
    expect(h.runtime.audit.pending()).toBe(0);
  });

  it('a lock shorter than the timeout delays the response until the commit; nothing goes out before', async () => {
    const release = await holdAuditLock();
    let answered = false;
    const pending = h.runtime.app
      .inject({ url: URLS.encounter, headers: { ...auth, 'x-request-id': 'durable-waits' } })
      .then((response) => {
        answered = true;
        return response;
      });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(answered).toBe(false);
    expect(await recordsOf('durable-waits')).toEqual([]);
    await release();
    const response = await pending;
    expect(response.statusCode).toBe(200);
    expect(await recordsOf('durable-waits')).toHaveLength(1);
  });

  it('the ledger unwritable for longer than CHARTHERO_DATASTORE_TIMEOUT_MS: 503 datastore_unavailable, no data', async () => {
    const release = await holdAuditLock();
    const started = performance.now();
    let responses: Awaited<ReturnType<typeof h.runtime.app.inject>>[];
    try {
      responses = await Promise.all(
        Object.entries(URLS).map(([name, url]) =>
          h.runtime.app.inject({ url, headers: { ...auth, 'x-request-id': `unwritable-${name}` } }),
        ),
      );
    } finally {
      await release();
    }
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(took).toBeLessThan(TIMEOUT_MS + 2500);
    for (const response of responses) {
      expectError(response, { reason_code: 'datastore_unavailable', rateLimitHeaders: true });
      expect(response.json().message).toBe(REASONS.datastore_unavailable.message);
      expect(response.headers['retry-after']).toBe('1');
      // Nothing of the data: no id, no URL, no patient field.
      expect(response.body).not.toMatch(/enc_|doc_|pat_|audio_url|media|Avery/);
    }
    // The refusal is what the ledger keeps (in the background): a 503 that disclosed nothing.
    await h.runtime.audit.flush();
    for (const name of Object.keys(URLS)) {
      const rows = await recordsOf(`unwritable-${name}`);
      const refusals = rows.filter((row) => row.status === 503);
      expect(refusals, name).toHaveLength(1);
      expect(refusals[0]).toMatchObject({
        event: 'request',
        reason_code: 'datastore_unavailable',
        resource_ids: '[]',
        key_id: h.fixture.keys.full.id,
      });
      // A write can finish just after its request gave up; it never shows a disclosure the client did not get.
      expect(rows.filter((row) => row.event === 'audio_url_issued').length).toBeLessThanOrEqual(1);
    }
    // And it recovers by itself.
    expect((await h.get(URLS.encounter, auth)).statusCode).toBe(200);
  });
});

describe('refusals', () => {
  it('never wait for the ledger, even while it cannot be written', async () => {
    const release = await holdAuditLock();
    try {
      const started = performance.now();
      const refused = await h.runtime.app.inject({
        url: URLS.encounter,
        headers: { authorization: `Bearer ${h.fixture.keys.beta.secret}`, 'x-request-id': 'refusal-no-wait' },
      });
      expect(refused.statusCode).toBe(403);
      expect(performance.now() - started).toBeLessThan(TIMEOUT_MS);
    } finally {
      await release();
    }
    await h.runtime.audit.flush();
    expect(await recordsOf('refusal-no-wait')).toMatchObject([{ status: 403, count: 1 }]);
  });

  it('a flood of 100 000 random well-formed keys from one address adds one record per (route, reason, minute)', async () => {
    await h.runtime.audit.flush();
    const address = '198.51.100.77';
    const total = 100_000;
    const started = Date.now();
    const routes = [URLS.encounter, URLS.list];
    let sent = 0;
    const worker = async () => {
      while (sent < total) {
        const i = sent++;
        const response = await h.runtime.app.inject({
          url: routes[i % routes.length]!,
          remoteAddress: address,
          headers: { authorization: `Bearer ${makeToken('test')}`, 'x-request-id': `flood-${i}` },
        });
        if (response.statusCode !== 401 && response.statusCode !== 429) throw new Error(response.body);
      }
    };
    // Fewer workers than pooled connections: the lookups of unknown keys never queue for a connection.
    await Promise.all(Array.from({ length: 8 }, worker));
    const finished = Date.now();
    await h.runtime.audit.flush();
    const rows = await h.runtime.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('client_ip', '=', address)
      .execute();
    const minutes = Math.floor(finished / 60_000) - Math.floor(started / 60_000) + 1;
    const buckets = new Set(rows.map((row) => `${row.route_id} ${row.reason_code} ${Math.floor(row.at_ms / 60_000)}`));
    console.log(
      `[flood] ${total} requests in ${finished - started} ms over ${minutes} minute(s): ${rows.length} records ${JSON.stringify(
        rows.map((row) => [row.route_id, row.reason_code, row.count]),
      )}`,
    );
    // At most one record per (route, reason, minute): two routes, invalid_key and (step 5a) rate_limited.
    expect(buckets.size).toBe(rows.length);
    expect(rows.length).toBeLessThanOrEqual(2 * 2 * minutes);
    expect(rows.every((row) => row.key_id === null && row.status >= 400)).toBe(true);
    // And nothing lost: the counts add up to every request.
    expect(rows.reduce((sum, row) => sum + row.count, 0)).toBe(total);
    expect(h.runtime.audit.dropped()).toBe(0);
  }, 300_000);
});
