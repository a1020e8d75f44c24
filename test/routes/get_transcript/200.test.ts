/**
 * GET …/documents/{document_id}/transcript → 200 (CONTRACT.md 6.3): the finalized transcript of an ambient
 * transcript document, turns in time order.
 */
import { describe, it } from 'vitest';
import { expectOk } from '../../support/expect-error.js';
import { TRANSCRIPT_TURNS } from '../../support/expected.js';
import { auth, pathOf, send } from '../../support/requests.js';
import { useHarness } from '../../support/use-harness.js';

describe('get_transcript → 200', () => {
  const h = useHarness();

  it('the finalized transcript, turns sorted by time (stored out of order)', async () => {
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

  it('turns that start together are ordered by their end', async () => {
    await h.runtime.store.db
      .updateTable('transcripts')
      .set({
        turns: JSON.stringify([
          { speaker: 'other', start: 5, end: 9, text: 'Long.' },
          { speaker: 'patient', start: 5, end: 6, text: 'Short.' },
          { speaker: 'clinician', start: 0.5, end: 4.25, text: 'First.' },
        ]),
      })
      .where('document_id', '=', 'doc_amb_norec')
      .execute();
    expectOk(await h.get(pathOf('get_transcript', 'enc_a1', 'doc_amb_norec'), auth(h)), {
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
    });
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
