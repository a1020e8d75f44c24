/**
 * Migration 004 (src/store/migrations/004-stored-turns.ts): transcripts stored before get_transcript began sending
 * the turns column as it is are rewritten into the served form — public fields only, in time order — and nothing
 * else changes: rows already in that form keep their text, and the webhook triggers see no new finalization.
 */
import type { Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { importLines, type SourceLine } from '../../../src/import/importer.js';
import type { AudioStorage } from '../../../src/media/storage.js';
import { up } from '../../../src/store/migrations/004-stored-turns.js';
import { useMigratedStore } from '../../support/database.js';

const NO_STORAGE = {} as AudioStorage; // no recordings are imported here

/** Rows as a wave-1 import could leave them: turns that start together in import order. */
const LEGACY_OUT_OF_ORDER =
  '[{"speaker":"other","start":5,"end":9,"text":"Long."},{"speaker":"patient","start":5,"end":6,"text":"Short."}]';
const SERVED_ORDER =
  '[{"speaker":"patient","start":5,"end":6,"text":"Short."},{"speaker":"other","start":5,"end":9,"text":"Long."}]';
/** With a field the API does not serve, and keys in another order. */
const LEGACY_EXTRA_FIELD = '[{"text":"Hi.","end":1,"start":0,"speaker":"clinician","confidence":0.9}]';
const EXTRA_FIELD_SERVED = '[{"speaker":"clinician","start":0,"end":1,"text":"Hi."}]';

describe('migration 004: stored turns in the served form', () => {
  const scratch = useMigratedStore('charthero-turns-migration-');
  beforeAll(async () => {
    const records: object[] = [
      { type: 'organization', id: 'org_1', name: 'One' },
      { type: 'patient', id: 'pat_1', organization_id: 'org_1' },
      {
        type: 'encounter',
        id: 'enc_1',
        organization_id: 'org_1',
        patient_id: 'pat_1',
        encounter_type: 'ambient',
        status: 'completed',
        origin: 'clinical',
        available: true,
        created_at: '2026-05-25T14:00:00Z',
        updated_at: '2026-05-25T14:00:00Z',
      },
    ];
    // 250 transcripts: more than one batch of the migration's walk.
    for (let n = 0; n < 250; n++) {
      const id = `doc_${String(n).padStart(3, '0')}`;
      records.push(
        {
          type: 'document',
          id,
          encounter_id: 'enc_1',
          schema_type: 'ambient_transcript',
          available: true,
          created_at: '2026-05-25T14:00:00Z',
          updated_at: '2026-05-25T14:00:00Z',
        },
        {
          type: 'transcript',
          document_id: id,
          provider: 'deepgram',
          finalized_at: '2026-05-25T15:00:00Z',
          turns: [{ speaker: 'clinician', start: n, end: n + 1, text: `Turn ${n}.` }],
        },
      );
    }
    async function* lines(): AsyncGenerator<SourceLine> {
      for (const [index, record] of records.entries()) yield { line: index + 1, text: JSON.stringify(record) };
    }
    await importLines(scratch.store.db, NO_STORAGE, lines(), scratch.dir);
    const legacy = { doc_000: LEGACY_OUT_OF_ORDER, doc_201: LEGACY_OUT_OF_ORDER, doc_249: LEGACY_EXTRA_FIELD };
    for (const [documentId, turns] of Object.entries(legacy)) {
      await scratch.store.db.updateTable('transcripts').set({ turns }).where('document_id', '=', documentId).execute();
    }
  });

  const storedTurns = async () =>
    Object.fromEntries(
      (await scratch.store.db.selectFrom('transcripts').select(['document_id', 'turns']).execute()).map((row) => [
        row.document_id,
        row.turns,
      ]),
    );
  const announced = () =>
    scratch.store.db.selectFrom('webhook_finalized_transcripts').select('document_id').orderBy('document_id').execute();

  it('rewrites legacy rows in every batch and leaves the others, and the webhook announcements, as they were', async () => {
    const before = await storedTurns();
    // The import turned its finalized transcripts into events and emptied the triggers' queue; an update the
    // triggers took for a new finalization would put rows back in it.
    expect(await announced()).toEqual([]);
    expect(before.doc_000).toBe(LEGACY_OUT_OF_ORDER);
    await up(scratch.store.db as unknown as Kysely<unknown>);
    const after = await storedTurns();
    expect(after).toEqual({
      ...before,
      doc_000: SERVED_ORDER,
      doc_201: SERVED_ORDER,
      doc_249: EXTRA_FIELD_SERVED,
    });
    expect(after.doc_137).toBe('[{"speaker":"clinician","start":137,"end":138,"text":"Turn 137."}]');
    expect(await announced()).toEqual([]);
  });

  it('is a no-op the second time', async () => {
    const before = await storedTurns();
    await up(scratch.store.db as unknown as Kysely<unknown>);
    expect(await storedTurns()).toEqual(before);
  });
});
