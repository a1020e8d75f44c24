/** Response schemas: the server serializes with them and the OpenAPI document publishes them. */
import { type Static, type TProperties, type TSchema, Type } from '@sinclair/typebox';
import { LIST_LIMIT, LIST_OFFSET } from './bounds.js';
import { REASONS, type ReasonCode } from './reasons.js';

/**
 * `T | null` for a primitive schema, as a JSON Schema type list (`"type": ["string", "null"]`, OpenAPI 3.1) rather
 * than `anyOf`: fast-json-stringify writes a type list after a typeof test, but picks an `anyOf` branch by
 * validating the value with Ajv — a date format's regular expression for every value (3 % of a list page's CPU,
 * bench/README.md).
 */
const Nullable = <T extends TSchema & { type: 'string' | 'number' | 'integer' }>(schema: T) =>
  Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });

const Timestamp = Type.String({ format: 'date-time', examples: ['2026-05-25T14:00:00Z'] });

/** A flat string enum (TypeBox's literal unions come out as anyOf of one-value enums). */
export const StringEnum = <T extends string>(values: readonly T[], options: Record<string, unknown> = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });

export const Patient = Type.Object(
  {
    patient_id: Type.String(),
    first_name: Nullable(Type.String()),
    last_name: Nullable(Type.String()),
    date_of_birth: Nullable(Type.String({ format: 'date', examples: ['1970-01-01'] })),
  },
  { $id: 'Patient', additionalProperties: false },
);

export const SUPPORTED_DOCUMENT_TYPES = ['document', 'ambient_transcript'] as const;

/** The fields every document body shares, in the order the bodies list them. */
const DocumentTitleAndStatus = { title: Nullable(Type.String()), status: Nullable(Type.String()) };
const DocumentTimes = { created_at: Timestamp, updated_at: Timestamp };

export const DocumentSummary = Type.Object(
  {
    document_id: Type.String(),
    schema_type: StringEnum(SUPPORTED_DOCUMENT_TYPES),
    ...DocumentTitleAndStatus,
    ...DocumentTimes,
  },
  { $id: 'DocumentSummary', additionalProperties: false },
);

export const Encounter = Type.Object(
  {
    encounter_id: Type.String(),
    organization_id: Type.String(),
    encounter_type: Type.String({ description: 'Known values: ambient, dictation, upload.' }),
    status: Type.String({ description: 'Known values: completed, in_progress.' }),
    created_at: Timestamp,
    updated_at: Timestamp,
    date_of_service: Nullable(Timestamp),
    patient: Patient,
    documents: Type.Array(DocumentSummary),
  },
  { $id: 'Encounter', additionalProperties: false },
);

export const EncounterList = Type.Object(
  {
    items: Type.Array(Encounter),
    limit: Type.Integer({ minimum: LIST_LIMIT.min, maximum: LIST_LIMIT.max }),
    offset: Type.Integer({ minimum: LIST_OFFSET.min, maximum: LIST_OFFSET.max }),
    sort_order: StringEnum(['asc', 'desc'] as const),
    has_more: Type.Boolean(),
    // The smallest next page starts one limit past the first offset.
    next_offset: Nullable(Type.Integer({ minimum: LIST_OFFSET.min + LIST_LIMIT.min, maximum: LIST_OFFSET.max })),
  },
  { $id: 'EncounterList', additionalProperties: false },
);

export const EncounterDetail = Type.Object(
  { encounter: Encounter },
  { $id: 'EncounterDetail', additionalProperties: false },
);

/** A document detail body of one `schema_type`: the shared fields around the type's own, in the contract's order. */
function documentDetail<S extends string, Own extends TProperties, Tail extends TProperties>(
  id: string,
  schemaType: S,
  own: Own,
  tail: Tail,
) {
  return Type.Object(
    {
      document_id: Type.String(),
      encounter_id: Type.String(),
      schema_type: StringEnum([schemaType]),
      ...DocumentTitleAndStatus,
      ...own,
      ...DocumentTimes,
      ...tail,
    },
    { $id: id, additionalProperties: false },
  );
}

export const NoteDocument = documentDetail(
  'NoteDocument',
  'document',
  { workflow_variant: Nullable(Type.String()) },
  {
    content: Type.Object(
      { format: StringEnum(['markdown'] as const), text: Type.String() },
      { additionalProperties: false },
    ),
  },
);

export const AmbientTranscriptDocument = documentDetail(
  'AmbientTranscriptDocument',
  'ambient_transcript',
  { audio_duration_seconds: Nullable(Type.Number()) },
  {},
);

export const DocumentDetail = Type.Object(
  { document: Type.Union([NoteDocument, AmbientTranscriptDocument]) },
  { $id: 'DocumentDetail', additionalProperties: false },
);

export const TranscriptTurn = Type.Object(
  {
    speaker: Type.String({ description: 'Known values: clinician, patient, other.' }),
    start: Type.Number({ minimum: 0 }),
    end: Type.Number({ minimum: 0 }),
    text: Type.String(),
  },
  { $id: 'TranscriptTurn', additionalProperties: false },
);

export const TranscriptResponse = Type.Object(
  {
    encounter_id: Type.String(),
    document_id: Type.String(),
    transcript: Type.Object(
      {
        provider: Type.String(),
        audio_duration_seconds: Nullable(Type.Number()),
        turns: Type.Array(TranscriptTurn),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'TranscriptResponse', additionalProperties: false },
);

export const AudioUrlResponse = Type.Object(
  { audio_url: Type.String({ format: 'uri' }), expires_at: Timestamp },
  { $id: 'AudioUrlResponse', additionalProperties: false },
);

/** The error body; `reason_code` is narrowed to the codes one route can produce. */
export function errorBodySchema(codes: readonly ReasonCode[]) {
  return Type.Object(
    {
      error: StringEnum([...new Set(codes.map((code) => REASONS[code].error))]),
      reason_code: StringEnum(codes),
      message: Type.String(),
      field: Nullable(Type.String({ maxLength: 64 })),
    },
    { additionalProperties: false },
  );
}
