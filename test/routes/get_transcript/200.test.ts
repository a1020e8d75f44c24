/**
 * GET …/documents/{document_id}/transcript → 200 (CONTRACT.md 6.3): the finalized transcript of an ambient
 * transcript document, turns in time order.
 */
import { describe, it } from 'vitest';
import { importLines } from '../../../src/import/importer.js';
import { expectOk } from '../../support/expect-error.js';
import { TRANSCRIPT_TURNS } from '../../support/expected.js';
import { auth, pathOf, send } from '../../support/requests.js';
import { useHarness } from '../../support/use-harness.js';

/** Imports records through the real importer, as `charthero import` would. */
async function importRecords(h: ReturnType<typeof useHarness>, records: readonly object[]): Promise<void> {
  async function* lines() {
    for (const [index, record] of records.entries()) yield { line: index + 1, text: JSON.stringify(record) };
  }
  await importLines(h.runtime.store.db, h.runtime.storage, lines(), h.dir);
}

/** doc_amb_norec once three turns (two starting together) are stored for it, in any order or form. */
const THREE_TURNS_IN_ORDER = {
  encounter_id: 'enc_a1',
  document_id: 'doc_amb_norec',
  transcript: {
    provider: 'deepgram',
    audio_duration_seconds: 10,
    turns: [
      { speaker: 'clinician', start: 0.5, end: 4.25, text: 'First.' },
      { speaker: 'patient', start: 5, end: 6, text: 'Short.' },
      { speaker: 'other', start: 5, end: 9, text: 'Long.' },
    ],
  },
};

describe('get_transcript → 200', () => {
  const h = useHarness();

  it('the finalized transcript, turns in time order', async () => {
    expectOk(await h.get(pathOf('get_transcript', 'enc_a1', 'doc_amb'), auth(h)), {
      encounter_id: 'enc_a1',
      document_id: 'doc_amb',
      transcript: { provider: 'deepgram', audio_duration_seconds: 842.4, turns: TRANSCRIPT_TURNS },
    });
  });

  it('a finalized transcript whose document has no recording is still served', async () => {
    expectOk(await h.get(pathOf('get_transcript', 'enc_a1', 'doc_amb_norec'), auth(h)), {
      encounter_id: 'enc_a1',
      document_id: 'doc_amb_norec',
      transcript: { provider: 'deepgram', audio_duration_seconds: 10, turns: TRANSCRIPT_TURNS },
    });
  });

  it('turns that start together, imported out of order, are served ordered by their end', async () => {
    await importRecords(h, [
      {
        type: 'transcript',
        document_id: 'doc_amb_norec',
        provider: 'deepgram',
        audio_duration_seconds: 10,
        finalized_at: '2026-05-25T15:00:00Z',
        turns: [
          { speaker: 'clinician', start: 0.5, end: 4.25, text: 'First.' },
          { speaker: 'other', start: 5, end: 9, text: 'Long.' },
          { speaker: 'patient', start: 5, end: 6, text: 'Short.' },
        ],
      },
    ]);
    expectOk(await h.get(pathOf('get_transcript', 'enc_a1', 'doc_amb_norec'), auth(h)), THREE_TURNS_IN_ORDER);
  });

  it('turns written into the table in another form (out of order, an extra field) are still served in order', async () => {
    await h.runtime.store.db
      .updateTable('transcripts')
      .set({
        turns: JSON.stringify([
          { speaker: 'other', start: 5, end: 9, text: 'Long.', confidence: 0.4 },
          { text: 'Short.', end: 6, start: 5, speaker: 'patient' },
          { speaker: 'clinician', start: 0.5, end: 4.25, text: 'First.' },
        ]),
      })
      .where('document_id', '=', 'doc_amb_norec')
      .execute();
    expectOk(await h.get(pathOf('get_transcript', 'enc_a1', 'doc_amb_norec'), auth(h)), THREE_TURNS_IN_ORDER);
  });

  it('HEAD: the same status and headers, no body', async () => {
    expectOk(
      await send(h, 'HEAD', pathOf('get_transcript', 'enc_a1', 'doc_amb'), auth(h)),
      {
        encounter_id: 'enc_a1',
        document_id: 'doc_amb',
        transcript: { provider: 'deepgram', audio_duration_seconds: 842.4, turns: TRANSCRIPT_TURNS },
      },
      { head: true },
    );
  });
});
