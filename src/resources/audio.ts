/** get_audio_url: a short-lived URL for the recording of an ambient transcript document. */
import { PublicError } from '../contract/errors.js';
import { StorageUnavailableError } from '../media/storage.js';
import { findRecording } from '../store/clinical.js';
import { formatTimestamp } from '../time.js';
import type { ResourceRequest, ResourceResult } from './context.js';
import { requireDocument } from './documents.js';

async function storageCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StorageUnavailableError) throw new PublicError('audio_storage_unavailable');
    throw error;
  }
}

export async function getAudioUrl(request: ResourceRequest): Promise<ResourceResult> {
  const document = await requireDocument(request, ['ambient_transcript']);
  const recording = await findRecording(request.db, document.id);
  if (!recording) throw new PublicError('audio_not_available_for_document');
  const stored = await storageCall(() => request.storage.head(recording.object_key));
  if (!stored) throw new PublicError('audio_not_found');
  const issued = await storageCall(() =>
    request.storage.issueUrl(recording.object_key, request.config.audioUrlTtlSeconds),
  );
  return {
    body: { audio_url: issued.url, expires_at: formatTimestamp(Math.floor(issued.expiresAtMs / 1000) * 1000) },
    resourceIds: [document.encounter_id, document.id],
    audioUrlIssuedFor: document.id,
  };
}
