import { describe, expect, it } from 'vitest';
import { ChartHeroClient, type Encounter, OffsetCeilingError, type SyncWindow } from '../../src/index.js';
import { type FakeItem, fakeListApi } from './fake-api.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function clientFor(api: ReturnType<typeof fakeListApi>) {
  return new ChartHeroClient({ apiKey: 'ch_sk_test_x', baseUrl: 'https://api.example.test', fetch: api.fetch });
}

async function collect(iterable: AsyncIterable<Encounter>): Promise<string[]> {
  const ids: string[] = [];
  for await (const item of iterable) ids.push(item.encounter_id);
  return ids;
}

/** `count` encounters spread over `spanMs`, with runs of identical created_at to exercise ties. */
function items(count: number, spanMs: number, tieRun = 3): FakeItem[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `enc_${String((i * 7919) % count).padStart(6, '0')}`,
    createdMs: T0 + Math.floor(Math.floor(i / tieRun) * (spanMs / Math.ceil(count / tieRun))),
  }));
}

function expectEachOnce(ids: string[], all: FakeItem[]) {
  expect(ids).toHaveLength(all.length);
  expect(new Set(ids).size).toBe(all.length);
  expect(new Set(ids)).toEqual(new Set(all.map((item) => item.id)));
}

describe('encounters.iterate', () => {
  it('walks every offset page in the requested order', async () => {
    const all = items(250, 10 * DAY);
    const api = fakeListApi(all);
    const ids = await collect(clientFor(api).encounters.iterate({ sort_order: 'asc', limit: 100 }));
    expectEachOnce(ids, all);
    expect(api.queries.map((q) => q.get('offset'))).toEqual(['0', '100', '200']);
    const sorted = [...all].sort((a, b) => a.createdMs - b.createdMs || a.id.localeCompare(b.id));
    expect(ids).toEqual(sorted.map((item) => item.id));
  });

  it('passes the date window and sort through, and defaults to 100 per page', async () => {
    const api = fakeListApi(items(10, DAY));
    await collect(
      clientFor(api).encounters.iterate({
        start_at: new Date(T0),
        end_at: '2026-01-02T00:00:00Z',
        sort_order: 'desc',
      }),
    );
    expect(Object.fromEntries(api.queries[0]!)).toEqual({
      start_at: '2026-01-01T00:00:00.000Z',
      end_at: '2026-01-02T00:00:00Z',
      sort_order: 'desc',
      limit: '100',
      offset: '0',
    });
  });

  it('stops at the 10 000 offset ceiling with an error that says to narrow the window', async () => {
    const all = items(10_500, 30 * DAY, 1);
    const api = fakeListApi(all);
    const seen: string[] = [];
    const error = await (async () => {
      for await (const item of clientFor(api).encounters.iterate({ sort_order: 'asc' })) seen.push(item.encounter_id);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OffsetCeilingError);
    expect((error as Error).message).toMatch(/narrow the date window/i);
    expect((error as Error).message).toMatch(/start_at\/end_at/);
    expect(error).toMatchObject({ yielded: 10_100 });
    expect((error as OffsetCeilingError).lastCreatedAt).toBe(new Date(all[10_099]!.createdMs).toISOString());
    expect(seen).toHaveLength(10_100);
    expect(Math.max(...api.queries.map((q) => Number(q.get('offset'))))).toBe(10_000);
  });

  it('stops early when the consumer breaks', async () => {
    const api = fakeListApi(items(500, DAY));
    for await (const _ of clientFor(api).encounters.iterate({ limit: 10 })) break;
    expect(api.queries).toHaveLength(1);
  });
});

describe('encounters.sync', () => {
  it('yields every encounter exactly once, oldest first, across windows', async () => {
    const all = items(5000, 90 * DAY);
    const api = fakeListApi(all);
    const windows: SyncWindow[] = [];
    const ids = await collect(
      clientFor(api).encounters.sync({
        from: T0,
        to: T0 + 91 * DAY,
        windowMs: 7 * DAY,
        onWindow: (window) => void windows.push(window),
      }),
    );
    expectEachOnce(ids, all);
    expect(windows).toHaveLength(13);
    expect(windows[0]!.start.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(windows.at(-1)!.end.getTime()).toBe(T0 + 91 * DAY);
    expect(windows.reduce((sum, w) => sum + w.count, 0)).toBe(5000);
    for (let i = 1; i < windows.length; i++) expect(windows[i]!.start).toEqual(windows[i - 1]!.end);
    const sorted = [...all].sort((a, b) => a.createdMs - b.createdMs || a.id.localeCompare(b.id));
    expect(ids).toEqual(sorted.map((item) => item.id));
  });

  it('never reaches the offset ceiling, even when one window holds far more than 10 000', async () => {
    const all = items(25_000, DAY, 5);
    const api = fakeListApi(all);
    const ids = await collect(clientFor(api).encounters.sync({ from: T0, to: T0 + 2 * DAY, windowMs: 30 * DAY }));
    expectEachOnce(ids, all);
    const offsets = api.queries.map((q) => Number(q.get('offset') ?? 0));
    expect(Math.max(...offsets)).toBeLessThan(100);
    expect(api.queries.length).toBeLessThan(25_000 / 100 + 10);
  });

  it('pages through hundreds of encounters sharing one created_at', async () => {
    const all: FakeItem[] = [
      ...Array.from({ length: 730 }, (_, i) => ({ id: `enc_same_${i}`, createdMs: T0 + HOUR })),
      ...Array.from({ length: 40 }, (_, i) => ({ id: `enc_after_${i}`, createdMs: T0 + 2 * HOUR + i })),
      { id: 'enc_first', createdMs: T0 },
    ];
    const api = fakeListApi(all);
    const ids = await collect(clientFor(api).encounters.sync({ from: T0, to: T0 + DAY, pageSize: 100 }));
    expectEachOnce(ids, all);
    expect(ids[0]).toBe('enc_first');
  });

  it('finds its own bounds when none are given: the oldest and newest encounter', async () => {
    const all = items(300, 400 * DAY);
    const api = fakeListApi(all);
    const ids = await collect(clientFor(api).encounters.sync({ windowMs: 30 * DAY }));
    expectEachOnce(ids, all);
    expect(Object.fromEntries(api.queries[0]!)).toEqual({ sort_order: 'asc', limit: '1' });
    expect(Object.fromEntries(api.queries[1]!)).toEqual({ sort_order: 'desc', limit: '1' });
  });

  it('an empty organization syncs nothing', async () => {
    const api = fakeListApi([]);
    expect(await collect(clientFor(api).encounters.sync())).toEqual([]);
    expect(api.queries).toHaveLength(1);
  });

  it('neither repeats nor skips when encounters are inserted during the walk', async () => {
    const original = items(400, 4 * HOUR, 3);
    const sorted = [...original].sort((a, b) => a.createdMs - b.createdMs || a.id.localeCompare(b.id));
    const anchorMs = sorted[99]!.createdMs; // the created_at the second page is anchored at
    const api = fakeListApi([...original], {
      beforePage: () => {
        if (api.queries.length !== 2) return;
        // A backfill before the cursor (offset paging would repeat an item), and one at the anchor instant whose
        // id sorts first (it pushes an already-seen encounter onto the next page).
        api.items.push({ id: 'enc_backfill', createdMs: T0 }, { id: 'enc_', createdMs: anchorMs });
      },
    });
    const ids = await collect(clientFor(api).encounters.sync({ from: T0, to: T0 + DAY }));
    expect(new Set(ids).size).toBe(ids.length);
    for (const item of original) expect(ids).toContain(item.id);
    expect(ids).toHaveLength(400);
  });

  it('honours a signal between pages', async () => {
    const api = fakeListApi(items(1000, DAY));
    const controller = new AbortController();
    const seen: string[] = [];
    const run = (async () => {
      for await (const item of clientFor(api).encounters.sync(
        { from: T0, to: T0 + DAY },
        { signal: controller.signal },
      )) {
        seen.push(item.encounter_id);
        if (seen.length === 150) controller.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toHaveLength(200);
  });

  it('refuses bad bounds', async () => {
    const client = clientFor(fakeListApi([]));
    await expect(collect(client.encounters.sync({ from: 'yesterday' }))).rejects.toThrow(TypeError);
    await expect(collect(client.encounters.sync({ from: T0, to: T0 + 1, windowMs: 0 }))).rejects.toThrow(RangeError);
    await expect(collect(client.encounters.sync({ from: Date.parse('+010000-01-01T00:00:00Z') }))).rejects.toThrow(
      RangeError,
    );
  });
});
