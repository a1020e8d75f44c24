/** get_transcript: the finalized transcript of an ambient transcript document. */
import { PublicError } from '../contract/errors.js';
import { findTranscript } from '../store/clinical.js';
import type { ResourceRequest, ResourceResult } from './context.js';
import { requireDocument } from './documents.js';

interface StoredTurn {
  speaker: string;
  start: number;
  end: number;
  text: string;
}

export async function getTranscript(request: ResourceRequest): Promise<ResourceResult> {
  const document = await requireDocument(request, ['ambient_transcript']);
  const transcript = await findTranscript(request.db, document.id);
  if (!transcript || transcript.finalized_at_ms === null) throw new PublicError('transcript_not_found');
  const turns = (JSON.parse(transcript.turns) as StoredTurn[])
    .map(({ speaker, start, end, text }) => ({ speaker, start, end, text }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  return {
    body: {
      encounter_id: document.encounter_id,
      document_id: document.id,
      transcript: {
        provider: transcript.provider,
        audio_duration_seconds: transcript.audio_duration_seconds,
        turns,
      },
    },
    resourceIds: [document.encounter_id, document.id],
  };
}
