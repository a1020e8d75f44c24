/** get_transcript: the finalized transcript of an ambient transcript document. */
import { PublicError } from '../contract/errors.js';
import { findTranscript } from '../store/clinical.js';
import { type ResourceRequest, type ResourceResult, SerializedJson } from './context.js';
import { requireDocument } from './documents.js';

export async function getTranscript(request: ResourceRequest): Promise<ResourceResult> {
  const document = await requireDocument(request, ['ambient_transcript']);
  const transcript = await findTranscript(request.db, document.id);
  if (!transcript || transcript.finalized_at_ms === null) throw new PublicError('transcript_not_found');
  // The stored turns are already the response's array (src/store/transcript-turns.ts): spliced in, not parsed
  // and written again. The rest is TranscriptResponse (src/contract/schemas.ts) in its property order, as the
  // route's serializer would write it; test/unit/resources/transcript-body.test.ts holds the two to the same bytes.
  const body =
    `{"encounter_id":${JSON.stringify(document.encounter_id)},"document_id":${JSON.stringify(document.id)},` +
    `"transcript":{"provider":${JSON.stringify(transcript.provider)},` +
    `"audio_duration_seconds":${JSON.stringify(transcript.audio_duration_seconds)},"turns":${transcript.turns}}}`;
  return { body: new SerializedJson(body), resourceIds: [document.encounter_id, document.id] };
}
