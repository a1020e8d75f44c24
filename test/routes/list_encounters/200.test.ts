/**
 * GET /external/v1/encounters → 200 (CONTRACT.md sections 5 and 6.1): the caller organization's available,
 * non-demo, non-training encounters, ordered by created_at then encounter_id in the requested direction, paged by
 * limit/offset, filtered by start_at (inclusive) and end_at (exclusive).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { rebuildEncounterItems } from '../../../src/resources/encounter-items.js';
import { expectOk } from '../../support/expect-error.js';
import { ALPHA_ASC, ALPHA_DESC, ENCOUNTERS, type EncounterId, encounters } from '../../support/expected.js';
import { addKey } from '../../support/fixture.js';
import { insertOpenOrganization } from '../../support/organizations.js';
import { auth, bearer, type Headers, send } from '../../support/requests.js';
import { useHarness } from '../../support/use-harness.js';

const URL = '/external/v1/encounters';

function page(
  ids: readonly EncounterId[],
  meta: {
    limit?: number;
    offset?: number;
    sort_order?: 'asc' | 'desc';
    has_more?: boolean;
    next_offset?: number | null;
  },
) {
  return {
    items: encounters(ids),
    limit: meta.limit ?? 50,
    offset: meta.offset ?? 0,
    sort_order: meta.sort_order ?? 'desc',
    has_more: meta.has_more ?? false,
    next_offset: meta.next_offset ?? null,
  };
}

describe('list_encounters → 200', () => {
  const h = useHarness();
  let headers: Headers;
  beforeAll(() => {
    headers = auth(h);
  });

  const list = (query = '') => h.get(`${URL}${query}`, headers);

  it('defaults: limit 50, offset 0, newest first, every listable encounter with its full body', async () => {
    expectOk(await list(), {
      items: [
        ENCOUNTERS.enc_a6,
        ENCOUNTERS.enc_a5_tie,
        ENCOUNTERS.enc_a4_tie,
        ENCOUNTERS.enc_a3,
        ENCOUNTERS.enc_a2,
        ENCOUNTERS.enc_a1,
      ],
      limit: 50,
      offset: 0,
      sort_order: 'desc',
      has_more: false,
      next_offset: null,
    });
  });

  it('never lists demo, training, unavailable or other-organization encounters', async () => {
    const body = JSON.parse((await list('?limit=100')).body) as { items: Array<{ encounter_id: string }> };
    const ids = body.items.map((item) => item.encounter_id);
    expect(ids).toEqual(ALPHA_DESC);
    for (const hidden of ['enc_demo', 'enc_training', 'enc_unavailable', 'enc_b1']) expect(ids).not.toContain(hidden);
  });

  it('lists only supported, available documents, oldest first (no intake_form, no hidden document)', async () => {
    const body = JSON.parse((await list('?sort_order=asc&limit=1')).body) as {
      items: Array<{ encounter_id: string; documents: Array<{ document_id: string }> }>;
    };
    expect(body.items[0]!.documents.map((document) => document.document_id)).toEqual([
      'doc_amb',
      'doc_note',
      'doc_amb_draft',
      'doc_amb_norec',
      'doc_amb_lost',
    ]);
  });

  it('an empty query string, or empty segments, is the default query', async () => {
    const defaults = page(ALPHA_DESC, {});
    expectOk(await list('?'), defaults);
    expectOk(await list('?&&'), defaults);
  });

  describe('sort_order, ties broken by encounter_id in the same direction', () => {
    it('asc: oldest first, enc_a4_tie before enc_a5_tie', async () => {
      expectOk(await list('?sort_order=asc'), page(ALPHA_ASC, { sort_order: 'asc' }));
    });

    it('desc: newest first, enc_a5_tie before enc_a4_tie', async () => {
      expectOk(await list('?sort_order=desc'), page(ALPHA_DESC, { sort_order: 'desc' }));
    });

    it('a page boundary between the tied encounters keeps the order', async () => {
      expectOk(
        await list('?sort_order=asc&limit=4'),
        page(['enc_a1', 'enc_a2', 'enc_a3', 'enc_a4_tie'], {
          sort_order: 'asc',
          limit: 4,
          has_more: true,
          next_offset: 4,
        }),
      );
      expectOk(
        await list('?sort_order=asc&limit=4&offset=4'),
        page(['enc_a5_tie', 'enc_a6'], { sort_order: 'asc', limit: 4, offset: 4 }),
      );
      expectOk(
        await list('?limit=2&offset=1'),
        page(['enc_a5_tie', 'enc_a4_tie'], { limit: 2, offset: 1, has_more: true, next_offset: 3 }),
      );
    });
  });

  describe('limit, offset, has_more, next_offset', () => {
    it.each([
      ['?limit=2', page(['enc_a6', 'enc_a5_tie'], { limit: 2, has_more: true, next_offset: 2 })],
      ['?limit=2&offset=2', page(['enc_a4_tie', 'enc_a3'], { limit: 2, offset: 2, has_more: true, next_offset: 4 })],
      ['?limit=2&offset=4', page(['enc_a2', 'enc_a1'], { limit: 2, offset: 4 })],
      ['?limit=5&offset=1', page(['enc_a5_tie', 'enc_a4_tie', 'enc_a3', 'enc_a2', 'enc_a1'], { limit: 5, offset: 1 })],
      ['?limit=1', page(['enc_a6'], { limit: 1, has_more: true, next_offset: 1 })],
      ['?limit=6', page(ALPHA_DESC, { limit: 6 })],
      ['?limit=100', page(ALPHA_DESC, { limit: 100 })],
      ['?offset=6', page([], { offset: 6 })],
      ['?offset=10000', page([], { offset: 10000 })],
      ['?offset=0', page(ALPHA_DESC, {})],
    ])('%s', async (query, expected) => {
      expectOk(await list(query), expected);
    });
  });

  describe('start_at (inclusive) and end_at (exclusive) on created_at', () => {
    it.each([
      [
        'start_at at the tied instant includes both',
        '?sort_order=asc&start_at=2026-06-20T08:00:00Z',
        ['enc_a4_tie', 'enc_a5_tie', 'enc_a6'],
      ],
      [
        'end_at at the tied instant excludes both',
        '?sort_order=asc&end_at=2026-06-20T08:00:00Z',
        ['enc_a1', 'enc_a2', 'enc_a3'],
      ],
      [
        'both: [start_at, end_at)',
        '?sort_order=asc&start_at=2026-05-25T14:00:00Z&end_at=2026-06-10T12:00:00Z',
        ['enc_a1', 'enc_a2'],
      ],
      ['a window with nothing in it', '?start_at=2026-06-11T00:00:00Z&end_at=2026-06-12T00:00:00Z', []],
      [
        'milliseconds: start_at at enc_a2 .250 includes it',
        '?sort_order=asc&start_at=2026-06-01T09:30:00.250Z&end_at=2026-06-02T00:00:00Z',
        ['enc_a2'],
      ],
      [
        'milliseconds: start_at at .251 excludes enc_a2',
        '?start_at=2026-06-01T09:30:00.251Z&end_at=2026-06-02T00:00:00Z',
        [],
      ],
      [
        'milliseconds: end_at at .250 excludes enc_a2',
        '?start_at=2026-06-01T00:00:00Z&end_at=2026-06-01T09:30:00.250Z',
        [],
      ],
      [
        'milliseconds: end_at at .251 includes enc_a2',
        '?start_at=2026-06-01T00:00:00Z&end_at=2026-06-01T09:30:00.251Z',
        ['enc_a2'],
      ],
      [
        'a "+02:00" offset (percent-encoded)',
        '?sort_order=asc&start_at=2026-06-20T10:00:00%2B02:00',
        ['enc_a4_tie', 'enc_a5_tie', 'enc_a6'],
      ],
      ['a "-05:00" offset', '?sort_order=asc&end_at=2026-06-20T03:00:00-05:00', ['enc_a1', 'enc_a2', 'enc_a3']],
      [
        'lower-case "t" and "z"',
        '?sort_order=asc&start_at=2026-06-20t08:00:00z',
        ['enc_a4_tie', 'enc_a5_tie', 'enc_a6'],
      ],
      ['a leap day', '?sort_order=asc&end_at=2024-02-29T00:00:00Z', []],
    ] as const)('%s', async (_name, query, ids) => {
      const sortOrder = query.includes('sort_order=asc') ? 'asc' : 'desc';
      expectOk(await list(query), page(ids, { sort_order: sortOrder }));
    });

    it('filters combine with paging', async () => {
      expectOk(
        await list('?sort_order=asc&start_at=2026-06-01T00:00:00Z&limit=2&offset=1'),
        page(['enc_a3', 'enc_a4_tie'], { sort_order: 'asc', limit: 2, offset: 1, has_more: true, next_offset: 3 }),
      );
    });
  });

  describe('query decoding (application/x-www-form-urlencoded)', () => {
    it.each([
      ['percent-encoded value', '?limit=%32', 2],
      ['percent-encoded key', '?%6Cimit=2', 2],
      ['keys in any order', '?offset=0&limit=2&sort_order=desc', 2],
    ])('%s (%s)', async (_name, query, limit) => {
      expectOk(await list(query), page(['enc_a6', 'enc_a5_tie'], { limit, has_more: true, next_offset: 2 }));
    });
  });

  describe('other organizations see only their own encounters', () => {
    it('org_beta sees enc_b1 only', async () => {
      expectOk(await h.get(URL, auth(h, 'beta')), {
        items: [ENCOUNTERS.enc_b1],
        limit: 50,
        offset: 0,
        sort_order: 'desc',
        has_more: false,
        next_offset: null,
      });
    });

    it('org_delta (list_encounters enabled, no encounters) gets an empty page', async () => {
      expectOk(await h.get(URL, auth(h, 'listOnly')), page([], {}));
    });
  });

  it('HEAD: the same status and headers, no body', async () => {
    const get = await list('?limit=2');
    const head = await send(h, 'HEAD', `${URL}?limit=2`, headers);
    expectOk(head, JSON.parse(get.body), { head: true });
  });

  it('echoes a valid X-Request-Id', async () => {
    const response = await h.get(URL, { ...headers, 'x-request-id': 'trace-0001' });
    expectOk(response, page(ALPHA_DESC, {}));
    expect(response.headers['x-request-id']).toBe('trace-0001');
  });

  it('replaces an X-Request-Id that is invalid or carries an API key (it is echoed and logged)', async () => {
    for (const incoming of ['has space', 'x'.repeat(129), `ch_sk_test_${'A'.repeat(38)}`, 'CH_SK_live_abc']) {
      const response = await h.get(URL, { ...headers, 'x-request-id': incoming });
      expectOk(response, page(ALPHA_DESC, {}));
      expect(response.headers['x-request-id']).not.toBe(incoming);
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  describe('next_offset never passes 10000 (an organization with 10002 encounters)', () => {
    const COUNT = 10_002;
    let bulk: Headers;
    const id = (i: number) => `enc_bulk_${String(i).padStart(5, '0')}`;
    const base = Date.parse('2025-01-01T00:00:00Z');

    beforeAll(async () => {
      const db = h.runtime.store.db;
      await insertOpenOrganization(db, 'org_bulk', 0);
      await db
        .insertInto('patients')
        .values({ id: 'pat_bulk', organization_id: 'org_bulk', first_name: null, last_name: null, date_of_birth: null })
        .execute();
      const rows = Array.from({ length: COUNT }, (_, i) => ({
        id: id(i),
        organization_id: 'org_bulk',
        patient_id: 'pat_bulk',
        encounter_type: 'ambient',
        status: 'completed',
        origin: 'clinical',
        available: 1,
        created_at_ms: base + i * 1000,
        updated_at_ms: base + i * 1000,
        date_of_service_ms: null,
      }));
      for (let i = 0; i < rows.length; i += 500) {
        await db
          .insertInto('encounters')
          .values(rows.slice(i, i + 500))
          .execute();
      }
      await rebuildEncounterItems(
        db,
        rows.map((row) => row.id),
      );
      bulk = bearer((await addKey(h.runtime, h.config, { organizationId: 'org_bulk' })).secret);
    });

    const item = (i: number) => ({
      encounter_id: id(i),
      organization_id: 'org_bulk',
      encounter_type: 'ambient',
      status: 'completed',
      created_at: new Date(base + i * 1000).toISOString().replace('.000Z', 'Z'),
      updated_at: new Date(base + i * 1000).toISOString().replace('.000Z', 'Z'),
      date_of_service: null,
      patient: { patient_id: 'pat_bulk', first_name: null, last_name: null, date_of_birth: null },
      documents: [],
    });

    it.each([
      ['offset 9998 + limit 2 = 10000: next_offset 10000', 9998, true, 10000],
      ['offset 9999 + limit 2 = 10001: more exists, but next_offset is null', 9999, true, null],
      ['offset 10000: the last two, no more', 10000, false, null],
    ] as const)('%s', async (_name, offset, hasMore, nextOffset) => {
      const response = await h.get(`${URL}?sort_order=asc&limit=2&offset=${offset}`, bulk);
      expectOk(response, {
        items: [item(offset), item(offset + 1)],
        limit: 2,
        offset,
        sort_order: 'asc',
        has_more: hasMore,
        next_offset: nextOffset,
      });
    });

    it('descending from offset 9999', async () => {
      expectOk(await h.get(`${URL}?limit=2&offset=9999`, bulk), {
        items: [item(COUNT - 1 - 9999), item(COUNT - 1 - 10000)],
        limit: 2,
        offset: 9999,
        sort_order: 'desc',
        has_more: true,
        next_offset: null,
      });
    });
  });
});
