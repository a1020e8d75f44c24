/**
 * The fixture's data as the API must show it (CONTRACT.md section 6), written out literally so the 200 tests read
 * like the contract: whole seconds with `Z`, milliseconds only where stored (enc_a2), documents oldest first and
 * only the supported, available ones.
 */
import { expect } from 'vitest';
import type { RouteId } from '../../src/contract/routes.js';

const PATIENT_A1 = { patient_id: 'pat_a1', first_name: 'Avery', last_name: 'Quill', date_of_birth: '1970-01-01' };
const PATIENT_A2 = { patient_id: 'pat_a2', first_name: null, last_name: null, date_of_birth: null };
const PATIENT_B1 = { patient_id: 'pat_b1', first_name: 'Blake', last_name: 'Rowan', date_of_birth: '1985-12-31' };

/** enc_a1's documents in the list: no intake_form (unsupported), no doc_hidden (unavailable). */
const ENC_A1_DOCUMENTS = [
  {
    document_id: 'doc_amb',
    schema_type: 'ambient_transcript',
    title: 'Title of doc_amb',
    status: 'finalized',
    created_at: '2026-05-25T14:05:00Z',
    updated_at: '2026-05-25T14:05:01Z',
  },
  {
    document_id: 'doc_note',
    schema_type: 'document',
    title: 'Title of doc_note',
    status: null,
    created_at: '2026-05-25T14:10:00Z',
    updated_at: '2026-05-25T14:10:01Z',
  },
  {
    document_id: 'doc_amb_draft',
    schema_type: 'ambient_transcript',
    title: 'Title of doc_amb_draft',
    status: 'draft',
    created_at: '2026-05-25T14:11:00Z',
    updated_at: '2026-05-25T14:11:01Z',
  },
  {
    document_id: 'doc_amb_norec',
    schema_type: 'ambient_transcript',
    title: 'Title of doc_amb_norec',
    status: 'finalized',
    created_at: '2026-05-25T14:12:00Z',
    updated_at: '2026-05-25T14:12:01Z',
  },
  {
    document_id: 'doc_amb_lost',
    schema_type: 'ambient_transcript',
    title: 'Title of doc_amb_lost',
    status: 'finalized',
    created_at: '2026-05-25T14:13:00Z',
    updated_at: '2026-05-25T14:13:01Z',
  },
];

export const ENCOUNTERS = {
  enc_a1: {
    encounter_id: 'enc_a1',
    organization_id: 'org_alpha',
    encounter_type: 'ambient',
    status: 'completed',
    created_at: '2026-05-25T14:00:00Z',
    updated_at: '2026-05-25T14:01:00Z',
    date_of_service: '2026-05-25T14:00:00Z',
    patient: PATIENT_A1,
    documents: ENC_A1_DOCUMENTS,
  },
  enc_a2: {
    encounter_id: 'enc_a2',
    organization_id: 'org_alpha',
    encounter_type: 'dictation',
    status: 'completed',
    created_at: '2026-06-01T09:30:00.250Z',
    updated_at: '2026-06-01T09:31:00.250Z',
    date_of_service: '2026-06-01T09:30:00.250Z',
    patient: PATIENT_A2,
    documents: [
      {
        document_id: 'doc_a2',
        schema_type: 'document',
        title: null,
        status: null,
        created_at: '2026-06-01T10:00:00Z',
        updated_at: '2026-06-01T10:00:01Z',
      },
    ],
  },
  enc_a3: {
    encounter_id: 'enc_a3',
    organization_id: 'org_alpha',
    encounter_type: 'upload',
    status: 'completed',
    created_at: '2026-06-10T12:00:00Z',
    updated_at: '2026-06-10T12:01:00Z',
    date_of_service: '2026-06-10T12:00:00Z',
    patient: PATIENT_A1,
    documents: [],
  },
  enc_a4_tie: {
    encounter_id: 'enc_a4_tie',
    organization_id: 'org_alpha',
    encounter_type: 'ambient',
    status: 'completed',
    created_at: '2026-06-20T08:00:00Z',
    updated_at: '2026-06-20T08:01:00Z',
    date_of_service: '2026-06-20T08:00:00Z',
    patient: PATIENT_A2,
    documents: [],
  },
  enc_a5_tie: {
    encounter_id: 'enc_a5_tie',
    organization_id: 'org_alpha',
    encounter_type: 'dictation',
    status: 'completed',
    created_at: '2026-06-20T08:00:00Z',
    updated_at: '2026-06-20T08:01:00Z',
    date_of_service: '2026-06-20T08:00:00Z',
    patient: PATIENT_A1,
    documents: [],
  },
  enc_a6: {
    encounter_id: 'enc_a6',
    organization_id: 'org_alpha',
    encounter_type: 'upload',
    status: 'in_progress',
    created_at: '2026-07-01T00:00:00Z',
    updated_at: '2026-07-01T00:01:00Z',
    date_of_service: null,
    patient: PATIENT_A2,
    documents: [],
  },
  enc_b1: {
    encounter_id: 'enc_b1',
    organization_id: 'org_beta',
    encounter_type: 'ambient',
    status: 'completed',
    created_at: '2026-06-05T00:00:00Z',
    updated_at: '2026-06-05T00:01:00Z',
    date_of_service: '2026-06-05T00:00:00Z',
    patient: PATIENT_B1,
    documents: [
      {
        document_id: 'doc_b1',
        schema_type: 'document',
        title: 'Title of doc_b1',
        status: null,
        created_at: '2026-06-05T00:10:00Z',
        updated_at: '2026-06-05T00:10:01Z',
      },
    ],
  },
};

export type EncounterId = keyof typeof ENCOUNTERS;

/** org_alpha's listable encounters, oldest first (the tie broken by encounter_id). */
export const ALPHA_ASC: EncounterId[] = ['enc_a1', 'enc_a2', 'enc_a3', 'enc_a4_tie', 'enc_a5_tie', 'enc_a6'];
export const ALPHA_DESC: EncounterId[] = [...ALPHA_ASC].reverse();

export function encounters(ids: readonly EncounterId[]) {
  return ids.map((id) => ENCOUNTERS[id]);
}

export const DOCUMENTS = {
  doc_note: {
    document_id: 'doc_note',
    encounter_id: 'enc_a1',
    schema_type: 'document',
    title: 'Title of doc_note',
    status: null,
    workflow_variant: 'soap',
    created_at: '2026-05-25T14:10:00Z',
    updated_at: '2026-05-25T14:10:01Z',
    content: { format: 'markdown', text: '# Visit note\n\nPatient doing well.' },
  },
  doc_a2: {
    document_id: 'doc_a2',
    encounter_id: 'enc_a2',
    schema_type: 'document',
    title: null,
    status: null,
    workflow_variant: null,
    created_at: '2026-06-01T10:00:00Z',
    updated_at: '2026-06-01T10:00:01Z',
    content: { format: 'markdown', text: '# Visit note\n\nPatient doing well.' },
  },
  doc_b1: {
    document_id: 'doc_b1',
    encounter_id: 'enc_b1',
    schema_type: 'document',
    title: 'Title of doc_b1',
    status: null,
    workflow_variant: 'soap',
    created_at: '2026-06-05T00:10:00Z',
    updated_at: '2026-06-05T00:10:01Z',
    content: { format: 'markdown', text: '# Visit note\n\nPatient doing well.' },
  },
  doc_amb: {
    document_id: 'doc_amb',
    encounter_id: 'enc_a1',
    schema_type: 'ambient_transcript',
    title: 'Title of doc_amb',
    status: 'finalized',
    audio_duration_seconds: 842.4,
    created_at: '2026-05-25T14:05:00Z',
    updated_at: '2026-05-25T14:05:01Z',
  },
  doc_amb_draft: {
    document_id: 'doc_amb_draft',
    encounter_id: 'enc_a1',
    schema_type: 'ambient_transcript',
    title: 'Title of doc_amb_draft',
    status: 'draft',
    audio_duration_seconds: 842.4,
    created_at: '2026-05-25T14:11:00Z',
    updated_at: '2026-05-25T14:11:01Z',
  },
};

/** The fixture's stored turns, as the API returns them. */
export const TRANSCRIPT_TURNS = [
  { speaker: 'clinician', start: 0, end: 1.6, text: 'Good morning.' },
  { speaker: 'patient', start: 1.6, end: 3.2, text: 'Morning, doctor.' },
];

/** What get_audio_url serves: a media URL on the configured public base, and its expiry. */
export const ISSUED_AUDIO_URL = {
  audio_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:8080\/media\/v1\//),
  expires_at: expect.any(String),
};

/** What `OK_URL[route]` serves the `full` key, written out: recovery checks compare against this, not a prior answer. */
export const OK_BODY: Record<RouteId, unknown> = {
  list_encounters: {
    items: encounters(ALPHA_DESC),
    limit: 50,
    offset: 0,
    sort_order: 'desc',
    has_more: false,
    next_offset: null,
  },
  get_encounter: { encounter: ENCOUNTERS.enc_a1 },
  get_document: { document: DOCUMENTS.doc_note },
  get_transcript: {
    encounter_id: 'enc_a1',
    document_id: 'doc_amb',
    transcript: { provider: 'deepgram', audio_duration_seconds: 842.4, turns: TRANSCRIPT_TURNS },
  },
  get_audio_url: ISSUED_AUDIO_URL,
};
