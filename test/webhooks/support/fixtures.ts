/** NDJSON import lines for webhook tests: one organization's patient, encounters and ambient transcripts. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FINALIZED_AT = '2026-05-25T15:00:00Z';

export function patient(organizationId: string, id = 'pat_w1') {
  return {
    type: 'patient',
    id,
    organization_id: organizationId,
    first_name: 'Ada',
    last_name: 'Sample',
    date_of_birth: '1970-01-01',
  };
}

export function encounter(
  organizationId: string,
  id: string,
  overrides: { origin?: string; available?: boolean; patientId?: string } = {},
) {
  return {
    type: 'encounter',
    id,
    organization_id: organizationId,
    patient_id: overrides.patientId ?? 'pat_w1',
    encounter_type: 'ambient',
    status: 'completed',
    origin: overrides.origin ?? 'clinical',
    available: overrides.available ?? true,
    created_at: '2026-05-25T14:00:00Z',
    updated_at: '2026-05-25T14:00:00Z',
    date_of_service: '2026-05-25T13:30:00Z',
  };
}

export function ambientDocument(encounterId: string, id: string, available = true) {
  return {
    type: 'document',
    id,
    encounter_id: encounterId,
    schema_type: 'ambient_transcript',
    title: 'Transcript',
    status: 'finalized',
    audio_duration_seconds: 12.5,
    available,
    created_at: '2026-05-25T14:01:00Z',
    updated_at: '2026-05-25T14:01:00Z',
  };
}

export function transcript(documentId: string, finalizedAt: string | null = FINALIZED_AT) {
  return {
    type: 'transcript',
    document_id: documentId,
    provider: 'deepgram',
    audio_duration_seconds: 12.5,
    finalized_at: finalizedAt,
    turns: [{ speaker: 'clinician', start: 0, end: 1.5, text: 'Good morning.' }],
  };
}

/** One clinical encounter with an ambient document and its finalized transcript. */
export function readyTranscriptLines(organizationId: string, n: number, prefix = 'w'): object[] {
  const lines: object[] = [patient(organizationId)];
  for (let i = 1; i <= n; i++) {
    lines.push(
      encounter(organizationId, `enc_${prefix}${i}`),
      ambientDocument(`enc_${prefix}${i}`, `doc_${prefix}${i}`),
    );
    lines.push(transcript(`doc_${prefix}${i}`));
  }
  return lines;
}

export function writeNdjson(dir: string, name: string, lines: readonly (object | string)[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n')}\n`);
  return file;
}

/** The exact body bytes of CONTRACT.md section 12.2, spelled out by hand. */
export function expectedBody(eventId: string, organizationId: string, encounterId: string, documentId: string): string {
  return (
    `{"id":"${eventId}","type":"recording.transcript_ready","api_version":"2026-05-01",` +
    `"occurred_at":"${FINALIZED_AT}","organization_id":"${organizationId}",` +
    `"resources":{"encounter_id":"${encounterId}","document_id":"${documentId}"}}`
  );
}
