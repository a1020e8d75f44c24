/**
 * Walking the encounter list. `iterateEncounters` follows offset pages and stops with `OffsetCeilingError` at the
 * list's 10 000 offset ceiling. `syncEncounters` walks any time range, window by window, oldest first, yielding each
 * encounter once and never reaching the ceiling: every page is anchored at the `created_at` of the last encounter
 * seen (keyset style), so its offset only counts the encounters already seen at that one instant.
 */
import { OffsetCeilingError } from './errors.js';
import { LIST_LIMIT, LIST_OFFSET } from './generated/contract.js';
import type { DateInput, Encounter, EncounterList, ListEncountersQuery } from './types.js';

/** The list endpoint's highest accepted `offset` (from the OpenAPI artifact). */
export const MAX_OFFSET: number = LIST_OFFSET.max;
/** The list endpoint's highest accepted `limit` (from the OpenAPI artifact). */
export const MAX_LIMIT: number = LIST_LIMIT.max;
export const DEFAULT_SYNC_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

export type ListPage<R> = (query: ListEncountersQuery, request: R) => Promise<EncounterList>;

export interface IterateQuery {
  start_at?: DateInput;
  end_at?: DateInput;
  sort_order?: 'asc' | 'desc';
  /** Page size, 1–100. Default 100. */
  limit?: number;
  /** Where to start. Default 0. */
  offset?: number;
}

export async function* iterateEncounters<R>(
  list: ListPage<R>,
  query: IterateQuery,
  request: R,
): AsyncGenerator<Encounter, void, undefined> {
  let offset = query.offset ?? 0;
  let yielded = 0;
  let lastCreatedAt: string | null = null;
  for (;;) {
    const page = await list({ ...query, limit: query.limit ?? MAX_LIMIT, offset }, request);
    for (const item of page.items) {
      yielded++;
      lastCreatedAt = item.created_at;
      yield item;
    }
    if (!page.has_more) return;
    if (page.next_offset === null) {
      throw new OffsetCeilingError(
        `More encounters match than offset paging can reach: the list stops at offset ${MAX_OFFSET} ` +
          `(${yielded} encounters were returned). Narrow the date window with start_at/end_at, ` +
          'or use client.encounters.sync(), which walks any time range without reaching the ceiling.',
        yielded,
        lastCreatedAt,
      );
    }
    offset = page.next_offset;
  }
}

export interface SyncWindow {
  /** Inclusive. */
  start: Date;
  /** Exclusive. */
  end: Date;
  /** Encounters yielded from this window. */
  count: number;
}

export interface SyncParams {
  /**
   * Inclusive lower bound on `created_at`. Default: the oldest encounter's `created_at` (one extra request).
   * A number is epoch milliseconds.
   */
  from?: DateInput | number;
  /**
   * Exclusive upper bound on `created_at`. Default: just after the newest encounter's `created_at` when the sync
   * starts (one extra request), so encounters created during the sync are left for the next one.
   */
  to?: DateInput | number;
  /** Width of each window. Default 7 days. Windows only set the checkpoint granularity (`onWindow`). */
  windowMs?: number;
  /** Page size, 1–100. Default 100. */
  pageSize?: number;
  /**
   * Called after every window is complete, before the next one starts: everything created in
   * [start, end) has been yielded, so `end` is a safe place to resume a later sync (`from: window.end`).
   */
  onWindow?: (window: SyncWindow) => void | Promise<void>;
}

const MIN_MS = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');

function toMs(value: DateInput | number, name: string): number {
  const ms = typeof value === 'number' ? value : value instanceof Date ? value.getTime() : Date.parse(value as string);
  if (!Number.isFinite(ms)) throw new TypeError(`${name} is not a valid date: ${String(value)}`);
  if (ms < MIN_MS || ms > MAX_MS) throw new RangeError(`${name} must be between years 0001 and 9999`);
  return ms;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function createdMs(item: Encounter): number {
  const ms = Date.parse(item.created_at);
  if (!Number.isFinite(ms)) throw new TypeError(`Encounter ${item.encounter_id} has an unreadable created_at`);
  return ms;
}

/** The window [from, to) and its defaults from the data itself. `null` when there is nothing to sync. */
async function syncBounds<R>(list: ListPage<R>, params: SyncParams, request: R) {
  let from: number;
  if (params.from !== undefined) from = toMs(params.from, 'from');
  else {
    const oldest = await list({ sort_order: 'asc', limit: 1 }, request);
    if (oldest.items.length === 0) return null;
    from = createdMs(oldest.items[0]!);
  }
  let to: number;
  if (params.to !== undefined) to = toMs(params.to, 'to');
  else {
    const newest = await list({ sort_order: 'desc', limit: 1 }, request);
    if (newest.items.length === 0) return null;
    to = createdMs(newest.items[0]!) + 1;
  }
  return from < to ? { from, to } : null;
}

export async function* syncEncounters<R>(
  list: ListPage<R>,
  params: SyncParams,
  request: R,
): AsyncGenerator<Encounter, void, undefined> {
  const windowMs = params.windowMs ?? DEFAULT_SYNC_WINDOW_MS;
  if (!(windowMs >= 1)) throw new RangeError('windowMs must be at least 1');
  const pageSize = params.pageSize ?? MAX_LIMIT;
  const bounds = await syncBounds(list, params, request);
  if (!bounds) return;
  for (let start = bounds.from; start < bounds.to; ) {
    const end = Math.min(start + windowMs, bounds.to);
    let count = 0;
    for await (const item of walkWindow(list, start, end, pageSize, request)) {
      count++;
      yield item;
    }
    await params.onWindow?.({ start: new Date(start), end: new Date(end), count });
    start = end;
  }
}

/**
 * Every encounter created in [startMs, endMs), oldest first, each once. Each page asks for `created_at >= anchor`
 * (the last `created_at` seen) with `offset` = how many encounters at exactly that instant were already yielded,
 * so the offset stays tiny however large the window is. An id seen twice (an insert shifted the page) is skipped.
 */
async function* walkWindow<R>(
  list: ListPage<R>,
  startMs: number,
  endMs: number,
  pageSize: number,
  request: R,
): AsyncGenerator<Encounter, void, undefined> {
  let anchor = startMs;
  const seenAtAnchor = new Set<string>();
  for (;;) {
    if (seenAtAnchor.size > MAX_OFFSET) {
      throw new OffsetCeilingError(
        `More than ${MAX_OFFSET} encounters share the created_at ${iso(anchor)}; the list cannot page past them.`,
        seenAtAnchor.size,
        iso(anchor),
      );
    }
    const page = await list(
      { start_at: iso(anchor), end_at: iso(endMs), sort_order: 'asc', limit: pageSize, offset: seenAtAnchor.size },
      request,
    );
    let fresh = 0;
    for (const item of page.items) {
      const created = createdMs(item);
      if (created > anchor) {
        anchor = created;
        seenAtAnchor.clear();
      } else if (seenAtAnchor.has(item.encounter_id)) {
        continue;
      }
      seenAtAnchor.add(item.encounter_id);
      fresh++;
      yield item;
    }
    if (!page.has_more) return;
    if (fresh === 0) {
      throw new Error(
        `Sync made no progress at created_at ${iso(anchor)}: the list returned only encounters already seen.`,
      );
    }
  }
}
