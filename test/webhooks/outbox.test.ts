/**
 * The transactional outbox (CONTRACT.md section 12.1): an import that finalizes a transcript creates exactly one
 * event in its own transaction, with one delivery per enabled endpoint of an allowlisted organization; nothing for
 * a rolled-back import, a re-import, demo/training/unavailable data, or endpoints that are disabled or added later.
 * Runs on PostgreSQL too when TEST_DATABASE_URL is set (the triggers differ per dialect).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImportError } from '../../src/import/importer.js';
import { countDeliveriesByState } from '../../src/store/webhooks.js';
import {
  ambientDocument,
  encounter,
  expectedBody,
  patient,
  readyTranscriptLines,
  transcript,
} from './support/fixtures.js';
import { openTestStore, type TestStore } from './support/store.js';

let t: TestStore;

beforeEach(async () => {
  t = await openTestStore();
  await t.addOrganization('org_a');
});
afterEach(() => t.close());

const events = () => t.store.db.selectFrom('webhook_events').selectAll().orderBy('document_id').execute();
const deliveries = () => t.store.db.selectFrom('webhook_deliveries').selectAll().orderBy('endpoint_id').execute();
const staged = () => t.store.db.selectFrom('webhook_finalized_transcripts').selectAll().execute();

describe('an import that finalizes a transcript', () => {
  it('creates one event with the exact body and one pending delivery per enabled endpoint', async () => {
    const one = await t.addEndpoint('org_a', 'https://one.example/hook');
    const two = await t.addEndpoint('org_a', 'https://two.example/hook');
    await t.importRecords(readyTranscriptLines('org_a', 1));
    const [event, ...others] = await events();
    expect(others).toHaveLength(0);
    expect(event).toStrictEqual({
      id: expect.stringMatching(/^evt_[0-9A-Za-z]{24}$/),
      type: 'recording.transcript_ready',
      organization_id: 'org_a',
      encounter_id: 'enc_w1',
      document_id: 'doc_w1',
      occurred_at_ms: Date.parse('2026-05-25T15:00:00Z'),
      body: expectedBody(event!.id, 'org_a', 'enc_w1', 'doc_w1'),
      created_at_ms: expect.any(Number),
    });
    const rows = await deliveries();
    expect(rows.map((row) => row.endpoint_id).sort()).toStrictEqual([one.id, two.id].sort());
    for (const row of rows) {
      expect(row).toMatchObject({ event_id: event!.id, state: 'pending', attempts: 0, lease_owner: null });
      expect(row.id).toMatch(/^whd_[0-9A-Za-z]{24}$/);
    }
    expect(await staged()).toStrictEqual([]);
    expect(await countDeliveriesByState(t.store.db)).toStrictEqual({ pending: 2, delivered: 0, failed: 0 });
  });

  it('creates nothing when a later line is invalid: the import and its event roll back together', async () => {
    await t.addEndpoint('org_a', 'https://one.example/hook');
    await t.importRecords([patient('org_a'), encounter('org_a', 'enc_1'), ambientDocument('enc_1', 'doc_1')]);
    const lineThree = await t
      .importRecords([patient('org_a'), transcript('doc_1'), { type: 'patient', id: 'pat_x' }])
      .catch((error: unknown) => error);
    expect(lineThree).toBeInstanceOf(ImportError);
    expect((lineThree as ImportError).line).toBe(3);
    expect(await events()).toStrictEqual([]);
    expect(await deliveries()).toStrictEqual([]);
    expect(await staged()).toStrictEqual([]);
    const stored = await t.store.db.selectFrom('transcripts').selectAll().execute();
    expect(stored).toStrictEqual([]);
  });

  it('creates nothing when an already finalized transcript is imported again (even with another finalized_at)', async () => {
    await t.addEndpoint('org_a', 'https://one.example/hook');
    await t.importRecords(readyTranscriptLines('org_a', 1));
    await t.importRecords(readyTranscriptLines('org_a', 1));
    await t.importRecords([transcript('doc_w1', '2026-05-26T09:00:00Z')]);
    expect(await events()).toHaveLength(1);
    expect(await deliveries()).toHaveLength(1);
  });

  it('creates the event when a transcript imported unfinalized is finalized by a later import', async () => {
    await t.importRecords([
      patient('org_a'),
      encounter('org_a', 'enc_1'),
      ambientDocument('enc_1', 'doc_1'),
      transcript('doc_1', null),
    ]);
    expect(await events()).toHaveLength(0);
    await t.importRecords([transcript('doc_1')]);
    expect((await events()).map((event) => event.document_id)).toStrictEqual(['doc_1']);
  });

  it('creates one event when the same file finalizes a transcript twice', async () => {
    await t.importRecords([...readyTranscriptLines('org_a', 1), transcript('doc_w1', null), transcript('doc_w1')]);
    expect(await events()).toHaveLength(1);
  });

  it('judges readability by what the import commits (a later line making the encounter unavailable wins)', async () => {
    await t.importRecords([...readyTranscriptLines('org_a', 1), encounter('org_a', 'enc_w1', { available: false })]);
    expect(await events()).toStrictEqual([]);
  });

  it.each([
    ['a demo encounter', [encounter('org_a', 'enc_1', { origin: 'demo' }), ambientDocument('enc_1', 'doc_1')]],
    ['a training encounter', [encounter('org_a', 'enc_1', { origin: 'training' }), ambientDocument('enc_1', 'doc_1')]],
    [
      'an unavailable encounter',
      [encounter('org_a', 'enc_1', { available: false }), ambientDocument('enc_1', 'doc_1')],
    ],
    ['an unavailable document', [encounter('org_a', 'enc_1'), ambientDocument('enc_1', 'doc_1', false)]],
  ])('creates nothing for %s', async (_name, records) => {
    await t.addEndpoint('org_a', 'https://one.example/hook');
    await t.importRecords([patient('org_a'), ...records, transcript('doc_1')]);
    expect(await events()).toStrictEqual([]);
    expect(await deliveries()).toStrictEqual([]);
    expect(await staged()).toStrictEqual([]);
  });

  it('creates nothing for an organization that is not allowlisted', async () => {
    await t.addOrganization('org_off', false);
    await t.addEndpoint('org_off', 'https://one.example/hook');
    await t.importRecords(readyTranscriptLines('org_off', 1, 'off'));
    expect(await events()).toStrictEqual([]);
  });

  it('fans out only to enabled endpoints of the encounter organization that exist at creation', async () => {
    const enabled = await t.addEndpoint('org_a', 'https://one.example/hook');
    await t.addEndpoint('org_a', 'https://off.example/hook', 'disabled');
    await t.addOrganization('org_b');
    await t.addEndpoint('org_b', 'https://other-org.example/hook');
    await t.importRecords(readyTranscriptLines('org_a', 2));
    await t.addEndpoint('org_a', 'https://later.example/hook');
    const rows = await deliveries();
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((row) => row.endpoint_id))).toStrictEqual(new Set([enabled.id]));
    expect(new Set(rows.map((row) => row.event_id)).size).toBe(2);
  });

  it('handles an import larger than one outbox batch', async () => {
    await t.addEndpoint('org_a', 'https://one.example/hook');
    await t.importRecords(readyTranscriptLines('org_a', 1200));
    expect(await events()).toHaveLength(1200);
    expect(await countDeliveriesByState(t.store.db)).toStrictEqual({ pending: 1200, delivered: 0, failed: 0 });
  }, 60_000);
});
