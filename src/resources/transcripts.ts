/** get_transcript: the finalized transcript of an ambient transcript document. */
import { PublicError } from '../contract/errors.js';
import { findTranscript } from '../store/clinical.js';
import { isServedForm, servedTurns, type TranscriptTurn } from '../store/transcript-turns.js';
import { type ResourceRequest, type ResourceResult, SerializedJson } from './context.js';
import { requireDocument } from './documents.js';

export async function getTranscript(request: ResourceRequest): Promise<ResourceResult> {
  const document = await requireDocument(request, ['ambient_transcript']);
  const transcript = await findTranscript(request.db, document.id);
  if (!transcript || transcript.finalized_at_ms === null) throw new PublicError('transcript_not_found');
  const resourceIds = [document.encounter_id, document.id];
  // Parsed even when sent as stored: text that is not JSON, or not turns, must fail here (a 500) and never go out.
  const turns = JSON.parse(transcript.turns) as unknown;
  if (isServedForm(turns)) {
    // The stored text is the response's array (src/store/transcript-turns.ts): spliced in, not written again. The
    // rest is TranscriptResponse (src/contract/schemas.ts) in its property order, as the route's serializer writes
    // it; test/unit/resources/transcript-body.test.ts holds the two to the same bytes.
    const body =
      `{"encounter_id":${JSON.stringify(document.encounter_id)},"document_id":${JSON.stringify(document.id)},` +
      `"transcript":{"provider":${JSON.stringify(transcript.provider)},` +
      `"audio_duration_seconds":${JSON.stringify(transcript.audio_duration_seconds)},"turns":${transcript.turns}}}`;
    return { body: new SerializedJson(body), resourceIds };
  }
  return {
    body: {
      encounter_id: document.encounter_id,
      document_id: document.id,
      transcript: {
        provider: transcript.provider,
        audio_duration_seconds: transcript.audio_duration_seconds,
        turns: servedTurns(turns as TranscriptTurn[]),
      },
    },
    resourceIds,
  };
}
