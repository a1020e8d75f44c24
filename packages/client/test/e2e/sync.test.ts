/**
 * The sync example against the real server with 5 000 more encounters in org_alpha (ties, a run of 250 sharing one
 * instant, and demo/training/unavailable ones that must not appear): every listable encounter exactly once.
 */
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALPHA_ENCOUNTERS_IN_LIST } from '../../../../test/support/fixture.js';
import { runSync } from '../../examples/sync.js';
import { ChartHeroClient, OffsetCeilingError, type SyncWindow } from '../../src/index.js';
import { type LiveServer, startLiveServer } from './server.js';

const BULK = 5000;
const START_MS = Date.parse('2026-01-01T00:00:00Z');
const SPAN_MS = 180 * 24 * 3_600_000;
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

let server: LiveServer;
/** The ids the list may show: the fixture's six and the bulk encounters that are clinical and available. */
const expected = new Set<string>(ALPHA_ENCOUNTERS_IN_LIST.map(([id]) => id));

beforeAll(async () => {
  server = await startLiveServer();
  const db = server.h.runtime.store.db;
  await db
    .insertInto('patients')
    .values(
      Array.from({ length: 50 }, (_, i) => ({
        id: `pat_bulk_${i}`,
        organization_id: 'org_alpha',
        first_name: `First${i}`,
        last_name: `Last${i}`,
        date_of_birth: '1980-01-01',
      })),
    )
    .execute();
  const rows = Array.from({ length: BULK }, (_, i) => {
    // Mostly spread out in whole seconds, in pairs and triples that share an instant; encounters 1000–1249 all
    // share one instant (more than a page).
    const slot = i >= 1000 && i < 1250 ? 1000 : Math.floor(i / (1 + (i % 3)));
    const createdMs = START_MS + Math.floor(((slot / BULK) * SPAN_MS) / 1000) * 1000;
    const origin = i % 97 === 5 ? 'demo' : i % 89 === 7 ? 'training' : 'clinical';
    const available = i % 53 === 11 ? 0 : 1;
    const id = `enc_bulk_${String((i * 7919) % 100_003).padStart(6, '0')}`;
    if (origin === 'clinical' && available === 1) expected.add(id);
    return {
      id,
      organization_id: 'org_alpha',
      patient_id: `pat_bulk_${i % 50}`,
      encounter_type: ['ambient', 'dictation', 'upload'][i % 3]!,
      status: 'completed',
      origin,
      available,
      created_at_ms: createdMs,
      updated_at_ms: createdMs + 60_000,
      date_of_service_ms: createdMs,
    };
  });
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insertInto('encounters')
      .values(rows.slice(i, i + 500))
      .execute();
  }
  // One other organization's bulk must stay invisible.
  await db
    .insertInto('encounters')
    .values({
      id: 'enc_bulk_beta',
      organization_id: 'org_beta',
      patient_id: 'pat_b1',
      encounter_type: 'ambient',
      status: 'completed',
      origin: 'clinical',
      available: 1,
      created_at_ms: START_MS,
      updated_at_ms: START_MS,
      date_of_service_ms: null,
    })
    .execute();
}, 120_000);
afterAll(() => server?.close());

it('seeded the data the test expects', () => {
  expect(expected.size).toBeGreaterThan(4700);
  expect(expected.size).toBeLessThan(BULK + 6);
});

it('runSync pulls every listable encounter exactly once, oldest first', async () => {
  const client = new ChartHeroClient({ apiKey: await server.issue(), baseUrl: server.baseUrl });
  const ids: string[] = [];
  const created: number[] = [];
  const windows: SyncWindow[] = [];
  const result = await runSync(client, { onWindow: (window) => void windows.push(window) }, (encounter) => {
    ids.push(encounter.encounter_id);
    created.push(Date.parse(encounter.created_at));
  });
  expect(result.duplicates).toBe(0);
  expect(result.count).toBe(expected.size);
  expect(ids).toHaveLength(expected.size);
  expect(new Set(ids)).toEqual(expected);
  for (let i = 1; i < created.length; i++) expect(created[i]).toBeGreaterThanOrEqual(created[i - 1]!);
  expect(windows.reduce((sum, window) => sum + window.count, 0)).toBe(expected.size);
  expect(result.windows).toBe(windows.length);
}, 120_000);

it('examples/sync.ts, run as a program, prints the count and exits 0', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'packages/client/examples/sync.ts'],
    {
      cwd: repoRoot,
      env: { ...process.env, CHARTHERO_BASE_URL: server.baseUrl, CHARTHERO_API_KEY: await server.issue() },
      timeout: 120_000,
    },
  );
  expect(stdout).toContain(`synced ${expected.size} encounters`);
  expect(stdout).toContain('0 duplicates');
}, 150_000);

it('the example exits 1 with the reason code when the key is rejected', async () => {
  const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'packages/client/examples/sync.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      CHARTHERO_BASE_URL: server.baseUrl,
      CHARTHERO_API_KEY: server.h.fixture.keys.revoked.secret,
    },
    timeout: 60_000,
  });
  await expect(run).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('401 revoked_key') });
}, 90_000);

describe('past the 10 000 offset ceiling', () => {
  const MORE = 5300;
  const DAY_MS = 24 * 3_600_000;
  const AUGUST = Date.parse('2026-08-01T00:00:00Z');

  beforeAll(async () => {
    const db = server.h.runtime.store.db;
    const rows = Array.from({ length: MORE }, (_, i) => {
      const createdMs = AUGUST + Math.floor((i * DAY_MS) / MORE / 1000) * 1000;
      const id = `enc_more_${String(i).padStart(5, '0')}`;
      expected.add(id);
      return {
        id,
        organization_id: 'org_alpha',
        patient_id: `pat_bulk_${i % 50}`,
        encounter_type: 'ambient',
        status: 'completed',
        origin: 'clinical',
        available: 1,
        created_at_ms: createdMs,
        updated_at_ms: createdMs,
        date_of_service_ms: createdMs,
      };
    });
    for (let i = 0; i < rows.length; i += 500) {
      await db
        .insertInto('encounters')
        .values(rows.slice(i, i + 500))
        .execute();
    }
    expect(expected.size).toBeGreaterThan(10_100);
  }, 120_000);

  it('iterate() stops at the ceiling with an error telling the caller to narrow the window', async () => {
    const client = new ChartHeroClient({
      apiKey: await server.issue({ rateLimitPerSecond: 0 }),
      baseUrl: server.baseUrl,
    });
    let yielded = 0;
    const error = await (async () => {
      for await (const _ of client.encounters.iterate({ sort_order: 'asc' })) yielded++;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OffsetCeilingError);
    expect((error as Error).message).toMatch(/narrow the date window/i);
    expect(yielded).toBe(10_100);
    expect((error as OffsetCeilingError).yielded).toBe(10_100);

    // The narrower window the error asks for works.
    let august = 0;
    for await (const _ of client.encounters.iterate({
      start_at: '2026-08-01T00:00:00Z',
      end_at: '2026-09-01T00:00:00Z',
    }))
      august++;
    expect(august).toBe(MORE);
  }, 120_000);

  it('sync() still yields every encounter exactly once', async () => {
    const client = new ChartHeroClient({
      apiKey: await server.issue({ rateLimitPerSecond: 0 }),
      baseUrl: server.baseUrl,
    });
    const ids: string[] = [];
    const result = await runSync(
      client,
      { windowMs: 90 * DAY_MS },
      (encounter) => void ids.push(encounter.encounter_id),
    );
    expect(result.duplicates).toBe(0);
    expect(ids).toHaveLength(expected.size);
    expect(new Set(ids)).toEqual(expected);
  }, 120_000);
});
