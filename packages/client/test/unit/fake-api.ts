/**
 * An in-memory stand-in for the list endpoint, following CONTRACT.md section 5 (limit 1–100, offset 0–10000,
 * half-open created_at filters, (created_at, encounter_id) order, next_offset null past the ceiling), served
 * through a `fetch` function so the client under test runs unchanged.
 */
import type { Encounter } from '../../src/index.js';

export interface FakeItem {
  id: string;
  createdMs: number;
}

export function encounter(item: FakeItem): Encounter {
  return {
    encounter_id: item.id,
    organization_id: 'org_fake',
    encounter_type: 'ambient',
    status: 'completed',
    created_at: new Date(item.createdMs).toISOString(),
    updated_at: new Date(item.createdMs).toISOString(),
    date_of_service: null,
    patient: { patient_id: 'pat_fake', first_name: null, last_name: null, date_of_birth: null },
    documents: [],
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'req_fake', ...headers },
  });
}

function invalid(reason: string, field: string | null) {
  return json(422, { error: 'api_key_validation_failed', reason_code: reason, message: `bad ${field}`, field });
}

export interface FakeListApi {
  fetch: typeof fetch;
  /** Every list query the fake received, parsed. */
  queries: URLSearchParams[];
  items: FakeItem[];
}

export function fakeListApi(items: FakeItem[], hooks: { beforePage?: (query: URLSearchParams) => void } = {}) {
  const api: FakeListApi = {
    items,
    queries: [],
    fetch: async (input) => {
      const url = new URL(String(input));
      const query = url.searchParams;
      api.queries.push(query);
      hooks.beforePage?.(query);
      const limit = Number(query.get('limit') ?? 50);
      const offset = Number(query.get('offset') ?? 0);
      const order = query.get('sort_order') ?? 'desc';
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) return invalid('invalid_limit', 'limit');
      if (!Number.isInteger(offset) || offset < 0 || offset > 10_000) return invalid('invalid_offset', 'offset');
      const start = query.has('start_at') ? Date.parse(query.get('start_at')!) : Number.NEGATIVE_INFINITY;
      const end = query.has('end_at') ? Date.parse(query.get('end_at')!) : Number.POSITIVE_INFINITY;
      if (Number.isNaN(start) || Number.isNaN(end) || start >= end) return invalid('invalid_query', null);
      const sorted = api.items
        .filter((item) => item.createdMs >= start && item.createdMs < end)
        .sort((a, b) => a.createdMs - b.createdMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      if (order === 'desc') sorted.reverse();
      const rows = sorted.slice(offset, offset + limit + 1);
      const hasMore = rows.length > limit;
      const next = offset + limit;
      return json(200, {
        items: rows.slice(0, limit).map(encounter),
        limit,
        offset,
        sort_order: order,
        has_more: hasMore,
        next_offset: hasMore && next <= 10_000 ? next : null,
      });
    },
  };
  return api;
}
