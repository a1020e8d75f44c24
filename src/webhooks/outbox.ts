/**
 * The transactional outbox (docs/webhooks.md). The import calls `createTranscriptReadyEvents` inside its
 * transaction, after its last write: the transcripts that transaction finalized (collected by the triggers of
 * migration 003) become events, with one pending delivery per enabled endpoint of the organization, and commit or
 * roll back together with the import.
 */
import type { Kysely } from 'kysely';
import { TRANSCRIPT_READY_EVENT, transcriptReadyBody } from '../contract/webhooks.js';
import type { Database } from '../store/schema.js';
import {
  enabledEndpointIds,
  insertWebhookEvents,
  type NewDelivery,
  readyTranscripts,
  takeFinalizedTranscripts,
  type WebhookEventRow,
} from '../store/webhooks.js';
import { formatTimestamp } from '../time.js';
import { newDeliveryId, newEventId } from './ids.js';

const BATCH = 500;

/** Returns the number of events created. `trx` must be the transaction that wrote the transcripts. */
export async function createTranscriptReadyEvents(trx: Kysely<Database>, nowMs: number = Date.now()): Promise<number> {
  let created = 0;
  for (;;) {
    const documentIds = await takeFinalizedTranscripts(trx, BATCH);
    if (documentIds.length === 0) return created;
    const ready = await readyTranscripts(trx, documentIds);
    const endpoints = await enabledEndpointIds(
      trx,
      ready.map((transcript) => transcript.organizationId),
    );
    const events: WebhookEventRow[] = [];
    const deliveries: NewDelivery[] = [];
    for (const transcript of ready) {
      const id = newEventId();
      events.push({
        id,
        type: TRANSCRIPT_READY_EVENT,
        organization_id: transcript.organizationId,
        encounter_id: transcript.encounterId,
        document_id: transcript.documentId,
        occurred_at_ms: transcript.finalizedAtMs,
        body: transcriptReadyBody({
          id,
          occurredAt: formatTimestamp(transcript.finalizedAtMs),
          organizationId: transcript.organizationId,
          encounterId: transcript.encounterId,
          documentId: transcript.documentId,
        }),
        created_at_ms: nowMs,
      });
      for (const endpointId of endpoints.get(transcript.organizationId) ?? []) {
        deliveries.push({ id: newDeliveryId(), eventId: id, endpointId, nowMs });
      }
    }
    await insertWebhookEvents(trx, events, deliveries);
    created += events.length;
  }
}
