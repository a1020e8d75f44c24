/** Stored rows → the response bodies of docs/api.md. */
import type { DocumentRow, DocumentSummaryRow, EncounterRow, PatientSummaryRow } from '../store/clinical.js';
import { formatOptionalTimestamp, formatTimestamp } from '../time.js';

/** A document as an encounter lists it: its detail view's identifying fields. */
function documentSummary(document: DocumentSummaryRow) {
  return {
    document_id: document.id,
    schema_type: document.schema_type,
    title: document.title,
    status: document.status,
    created_at: formatTimestamp(document.created_at_ms),
    updated_at: formatTimestamp(document.updated_at_ms),
  };
}

export function encounterView(
  encounter: EncounterRow,
  patient: PatientSummaryRow | undefined,
  documents: readonly DocumentSummaryRow[],
) {
  return {
    encounter_id: encounter.id,
    organization_id: encounter.organization_id,
    encounter_type: encounter.encounter_type,
    status: encounter.status,
    created_at: formatTimestamp(encounter.created_at_ms),
    updated_at: formatTimestamp(encounter.updated_at_ms),
    date_of_service: formatOptionalTimestamp(encounter.date_of_service_ms),
    patient: {
      patient_id: encounter.patient_id,
      first_name: patient?.first_name ?? null,
      last_name: patient?.last_name ?? null,
      date_of_birth: patient?.date_of_birth ?? null,
    },
    documents: documents.map(documentSummary),
  };
}

export function documentView(document: DocumentRow) {
  const common = {
    document_id: document.id,
    encounter_id: document.encounter_id,
    schema_type: document.schema_type,
    title: document.title,
    status: document.status,
  };
  const times = {
    created_at: formatTimestamp(document.created_at_ms),
    updated_at: formatTimestamp(document.updated_at_ms),
  };
  if (document.schema_type === 'ambient_transcript') {
    return { ...common, audio_duration_seconds: document.audio_duration_seconds, ...times };
  }
  return {
    ...common,
    workflow_variant: document.workflow_variant,
    ...times,
    content: { format: 'markdown', text: document.content_text ?? '' },
  };
}
