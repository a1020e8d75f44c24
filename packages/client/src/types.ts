/**
 * Public types, all derived from the generated OpenAPI types (src/generated/openapi.ts), which are generated from the
 * committed artifact openapi/v1/openapi.json. Nothing here is written by hand except the names.
 */
import type { REASON_TABLE } from './generated/contract.js';
import type { components, operations } from './generated/openapi.js';

type Schemas = components['schemas'];

export type Encounter = Schemas['Encounter'];
export type Patient = Schemas['Patient'];
export type DocumentSummary = Schemas['DocumentSummary'];
export type EncounterList = Schemas['EncounterList'];
export type EncounterDetail = Schemas['EncounterDetail'];
export type NoteDocument = Schemas['NoteDocument'];
export type AmbientTranscriptDocument = Schemas['AmbientTranscriptDocument'];
export type DocumentDetail = Schemas['DocumentDetail'];
export type TranscriptTurn = Schemas['TranscriptTurn'];
export type TranscriptResponse = Schemas['TranscriptResponse'];
export type AudioUrlResponse = Schemas['AudioUrlResponse'];

/** The five route ids: `list_encounters`, `get_encounter`, `get_document`, `get_transcript`, `get_audio_url`. */
export type OperationId = Exclude<keyof operations, WebhookOperationId>;

/** Operations of the artifact's top-level `webhooks` (requests ChartHero sends, not routes this client calls). */
type WebhookOperationId = 'recording_transcript_ready';

type ResponsesOf<Op extends OperationId> = operations[Op]['responses'];
type JsonBodyOf<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type ErrorStatusOf<Op extends OperationId> = Exclude<keyof ResponsesOf<Op>, 200>;

/** A property's type across every member of a union of objects. */
type FieldOf<T, K extends string> = T extends { [P in K]: infer V } ? V : never;

/** The 200 body of a route. */
export type SuccessBody<Op extends OperationId> = JsonBodyOf<ResponsesOf<Op>[200]>;

/** The error bodies a route documents (one per status, each with its own `reason_code` enum). */
export type ErrorBodyOf<Op extends OperationId> = {
  [S in ErrorStatusOf<Op>]: JsonBodyOf<ResponsesOf<Op>[S]>;
}[ErrorStatusOf<Op>];

/** The reason codes one route documents, e.g. `ReasonCodeOf<'get_audio_url'>` includes `audio_not_found`. */
export type ReasonCodeOf<Op extends OperationId> = FieldOf<ErrorBodyOf<Op>, 'reason_code'>;

/** Every reason code any route documents in the OpenAPI artifact. */
export type OperationReasonCode = { [Op in OperationId]: ReasonCodeOf<Op> }[OperationId];

/**
 * Every reason code this SDK version knows (docs/errors.md): the generated reason table, which also holds
 * the codes no operation lists (`route_not_found`, `method_not_allowed`, `media_url_invalid`).
 */
export type KnownReasonCode = keyof typeof REASON_TABLE;

/** The codes operations document; a compile error here means the artifact's operations list an unknown code. */
type DocumentedReasonCode<Code extends KnownReasonCode = OperationReasonCode> = Code;

/** Codes the registry defines for paths rather than operations, so no operation's error schema lists them. */
export type PathReasonCode = Exclude<KnownReasonCode, DocumentedReasonCode>;

/**
 * A reason code as the server sends it: a known one, or one a newer server added (`(string & {})` keeps the
 * editor's completion of the known codes). Branch on this, never on `message`.
 */
export type ReasonCode = KnownReasonCode | (string & {});

/** The `error` categories this SDK version knows: `api_key_unauthorized`, `api_key_forbidden`, … */
export type ErrorCategory = (typeof REASON_TABLE)[KnownReasonCode]['error'];

/** The standard error body (docs/errors.md). */
export interface ApiErrorBody {
  error: ErrorCategory | (string & {});
  reason_code: ReasonCode;
  message: string;
  field: string | null;
}

type ListQuery = NonNullable<operations['list_encounters']['parameters']['query']>;

/** A date filter: an RFC 3339 string with an offset, or a `Date` (sent as `toISOString()`). */
export type DateInput = string | Date;

/** Query of `list_encounters`. Dates may be given as `Date` objects. */
export interface ListEncountersQuery extends Omit<ListQuery, 'start_at' | 'end_at'> {
  /** Inclusive lower bound on `created_at`. */
  start_at?: DateInput;
  /** Exclusive upper bound on `created_at`. */
  end_at?: DateInput;
}
