/**
 * The import format of docs/import.md: one TypeBox schema per record type, and the pure, per-line step
 * that turns a parsed JSON value into table rows (schema check, dates, turn order). References between records and
 * files on disk are checked by the importer, which knows the database and the file's folder.
 */

import { Kind, type Static, type TSchema, Type } from '@sinclair/typebox';
import { TypeCompiler, type ValueError, ValueErrorType } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { ID_PATTERN } from '../contract/ids.js';
import type { DocumentRow, EncounterRow, PatientRow, TranscriptRow } from '../store/clinical.js';
import type { OrganizationInput } from '../store/clinical-upserts.js';
import { storedTurns } from '../store/transcript-turns.js';
import { parseDate, parseTimestamp } from '../time.js';

/** A problem with one record; the importer prefixes it with `line N: `. */
export class RecordError extends Error {
  override name = 'RecordError';
}

const ID_RULE = 'must be 1 to 128 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-", starting with a letter or digit';

const Id = Type.String({ pattern: ID_PATTERN, errorMessage: ID_RULE });
const Text = Type.String({ minLength: 1, maxLength: 1000 });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** Nullable fields may be left out; they import as null. */
const OptionalNullable = <T extends TSchema>(schema: T) => Type.Optional(Nullable(schema));
/** Dates are checked by time.ts (the same strict parser as the list filters), not by a schema format. */
const DateTime = Type.String();
const Seconds = Type.Number({ minimum: 0 });

export const RECORD_TYPES = ['organization', 'patient', 'encounter', 'document', 'transcript', 'recording'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export const ORIGINS = ['clinical', 'demo', 'training'] as const;

const strict = { additionalProperties: false };

/** `audio/` and a subtype as RFC 6838 names them (restricted-name): nothing else reaches a Content-Type header. */
const AUDIO_CONTENT_TYPE = /^audio\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

const OrganizationRecord = Type.Object({ type: Type.Literal('organization'), id: Id, name: Text }, strict);

const PatientRecord = Type.Object(
  {
    type: Type.Literal('patient'),
    id: Id,
    organization_id: Id,
    first_name: OptionalNullable(Type.String()),
    last_name: OptionalNullable(Type.String()),
    date_of_birth: OptionalNullable(Type.String()),
  },
  strict,
);

const EncounterRecord = Type.Object(
  {
    type: Type.Literal('encounter'),
    id: Id,
    organization_id: Id,
    patient_id: Id,
    encounter_type: Text,
    status: Text,
    origin: Type.Union(ORIGINS.map((origin) => Type.Literal(origin))),
    available: Type.Boolean(),
    created_at: DateTime,
    updated_at: DateTime,
    date_of_service: OptionalNullable(DateTime),
  },
  strict,
);

const DocumentRecord = Type.Object(
  {
    type: Type.Literal('document'),
    id: Id,
    encounter_id: Id,
    schema_type: Text,
    title: OptionalNullable(Type.String()),
    status: OptionalNullable(Type.String()),
    workflow_variant: OptionalNullable(Type.String()),
    audio_duration_seconds: OptionalNullable(Seconds),
    available: Type.Boolean(),
    content: OptionalNullable(Type.Object({ format: Type.Literal('markdown'), text: Type.String() }, strict)),
    created_at: DateTime,
    updated_at: DateTime,
  },
  strict,
);

const TranscriptTurnRecord = Type.Object({ speaker: Text, start: Seconds, end: Seconds, text: Type.String() }, strict);

const TranscriptRecord = Type.Object(
  {
    type: Type.Literal('transcript'),
    document_id: Id,
    provider: Text,
    audio_duration_seconds: OptionalNullable(Seconds),
    /** null (or absent) = not finalized: the transcript route answers transcript_not_found. */
    finalized_at: OptionalNullable(DateTime),
    turns: Type.Array(TranscriptTurnRecord),
  },
  strict,
);

const RecordingRecord = Type.Object(
  {
    type: Type.Literal('recording'),
    document_id: Id,
    file: Type.String({ minLength: 1, maxLength: 4096 }),
    content_type: Text,
  },
  strict,
);

const SCHEMAS = {
  organization: OrganizationRecord,
  patient: PatientRecord,
  encounter: EncounterRecord,
  document: DocumentRecord,
  transcript: TranscriptRecord,
  recording: RecordingRecord,
} as const;

const CHECKERS = Object.fromEntries(
  Object.entries(SCHEMAS).map(([type, schema]) => [type, TypeCompiler.Compile(schema)]),
) as { [T in RecordType]: ReturnType<typeof TypeCompiler.Compile<(typeof SCHEMAS)[T]>> };

/** A recording before its file is checked and its object key is known. */
export interface RecordingInput {
  documentId: string;
  /** As written in the record: relative to the import file's folder. */
  file: string;
  contentType: string;
}

/** The row each record type imports as. */
interface RecordRows {
  organization: OrganizationInput;
  patient: PatientRow;
  encounter: EncounterRow;
  document: DocumentRow;
  transcript: TranscriptRow;
  recording: RecordingInput;
}

type ParsedRecordOf<T extends RecordType> = { [K in T]: { type: K; row: RecordRows[K] } }[T];
export type ParsedRecord = ParsedRecordOf<RecordType>;

/** `/turns/3/start` → `turns[3].start`. */
function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

/** What a schema accepts, in words. */
function expected(schema: TSchema): string {
  switch (schema[Kind]) {
    case 'Literal':
      return JSON.stringify(schema.const);
    case 'Union': {
      const options = (schema.anyOf as TSchema[]).map(expected);
      return options.length === 2 ? options.join(' or ') : `one of ${options.join(', ')}`;
    }
    case 'String':
      return 'a string';
    case 'Number':
      return schema.minimum === undefined ? 'a number' : `a number of at least ${schema.minimum}`;
    case 'Boolean':
      return 'true or false';
    case 'Null':
      return 'null';
    case 'Array':
      return 'an array';
    case 'Object':
      return 'an object';
    default:
      return 'a valid value';
  }
}

function describe(error: ValueError): string {
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'required';
    case ValueErrorType.ObjectAdditionalProperties:
      return 'unknown field';
    case ValueErrorType.StringMinLength:
      return 'must not be empty';
    case ValueErrorType.StringMaxLength:
      return `must be at most ${error.schema.maxLength} characters`;
    case ValueErrorType.StringPattern:
      return (error.schema.errorMessage as string | undefined) ?? 'has an invalid format';
    default:
      return `must be ${expected(error.schema)}`;
  }
}

function fail(type: RecordType, field: string, problem: string): never {
  throw new RecordError(`${type}.${field}: ${problem}`);
}

function timestamp(type: RecordType, field: string, text: string): number {
  const ms = parseTimestamp(text);
  if (ms === null) fail(type, field, 'not an RFC 3339 date-time with offset');
  return ms;
}

function optionalTimestamp(type: RecordType, field: string, text: string | null | undefined): number | null {
  return text === null || text === undefined ? null : timestamp(type, field, text);
}

/** A calendar date (YYYY-MM-DD) is stored as written, once time.ts has found it a real date. */
function optionalDate(type: RecordType, field: string, text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  if (parseDate(text) === null) fail(type, field, 'not a valid date (YYYY-MM-DD)');
  return text;
}

/**
 * For an object in a nullable object field, the error inside the object is the useful one
 * (`content.format: must be "markdown"` rather than `content: must be an object or null`).
 */
function innermost(error: ValueError): ValueError {
  const branches = error.type === ValueErrorType.Union ? (error.schema.anyOf as TSchema[]) : [];
  const nonNull = branches.filter((branch) => branch[Kind] !== 'Null');
  const container = nonNull.length === 1 && ['Object', 'Array'].includes(nonNull[0]![Kind]);
  // Only a container of the right shape has a more precise error inside; a wrong scalar says "… or null".
  const shaped = typeof error.value === 'object' && error.value !== null;
  if (branches.length !== 2 || !container || !shaped) return error;
  const inner = Value.Errors(nonNull[0]!, error.value).First();
  return inner ? innermost({ ...inner, path: `${error.path}${inner.path}` }) : error;
}

function validated<T extends RecordType>(type: T, value: unknown): Static<(typeof SCHEMAS)[T]> {
  const checker = CHECKERS[type];
  if (checker.Check(value)) return value as Static<(typeof SCHEMAS)[T]>;
  const error = innermost(checker.Errors(value).First()!);
  fail(type, fieldPath(error.path), describe(error));
}

function recordType(value: unknown): RecordType {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RecordError('a record must be a JSON object');
  }
  const type = (value as { type?: unknown }).type;
  if (type === undefined) throw new RecordError('type: required');
  if (typeof type !== 'string' || !(RECORD_TYPES as readonly string[]).includes(type)) {
    throw new RecordError(
      `type: unknown record type ${JSON.stringify(type)} (expected one of ${RECORD_TYPES.join(', ')})`,
    );
  }
  return type as RecordType;
}

/**
 * Each record type's step from its schema-checked record to its row: absent nullable fields become null, dates are
 * parsed, and what a schema cannot say is checked (a note's text, turn order, the audio content type).
 */
const RECORD_TO_ROW: { [T in RecordType]: (record: Static<(typeof SCHEMAS)[T]>) => RecordRows[T] } = {
  organization: (record) => ({ id: record.id, name: record.name }),
  patient: (record) => ({
    id: record.id,
    organization_id: record.organization_id,
    first_name: record.first_name ?? null,
    last_name: record.last_name ?? null,
    date_of_birth: optionalDate(record.type, 'date_of_birth', record.date_of_birth),
  }),
  encounter: (record) => ({
    id: record.id,
    organization_id: record.organization_id,
    patient_id: record.patient_id,
    encounter_type: record.encounter_type,
    status: record.status,
    origin: record.origin,
    available: record.available ? 1 : 0,
    created_at_ms: timestamp(record.type, 'created_at', record.created_at),
    updated_at_ms: timestamp(record.type, 'updated_at', record.updated_at),
    date_of_service_ms: optionalTimestamp(record.type, 'date_of_service', record.date_of_service),
  }),
  document: (record) => {
    const content = record.content ?? null;
    // A note without its text could only ever be served as an empty document.
    if (record.schema_type === 'document' && content === null) {
      fail(record.type, 'content', 'required when schema_type is "document"');
    }
    return {
      id: record.id,
      encounter_id: record.encounter_id,
      schema_type: record.schema_type,
      title: record.title ?? null,
      status: record.status ?? null,
      workflow_variant: record.workflow_variant ?? null,
      available: record.available ? 1 : 0,
      audio_duration_seconds: record.audio_duration_seconds ?? null,
      content_format: content?.format ?? null,
      content_text: content?.text ?? null,
      created_at_ms: timestamp(record.type, 'created_at', record.created_at),
      updated_at_ms: timestamp(record.type, 'updated_at', record.updated_at),
    };
  },
  transcript: (record) => {
    // The API promises turns in time order: starts out of order are refused, turns that start together are
    // stored by their end (storedTurns), and the read path sends the column as it is.
    record.turns.forEach((turn, index) => {
      if (turn.end < turn.start) fail(record.type, `turns[${index}].end`, 'must not be before start');
      if (index > 0 && turn.start < record.turns[index - 1]!.start) {
        fail(record.type, `turns[${index}].start`, 'turns must be in time order');
      }
    });
    return {
      document_id: record.document_id,
      provider: record.provider,
      audio_duration_seconds: record.audio_duration_seconds ?? null,
      finalized_at_ms: optionalTimestamp(record.type, 'finalized_at', record.finalized_at),
      turns: storedTurns(record.turns),
    };
  },
  recording: (record) => {
    // Served back as the Content-Type of the media URL: anything but audio (text/html…) would let an import put
    // a page on the API's origin.
    if (!AUDIO_CONTENT_TYPE.test(record.content_type)) {
      fail(record.type, 'content_type', 'must be audio/<subtype> (such as audio/wav), with no parameters');
    }
    return { documentId: record.document_id, file: record.file, contentType: record.content_type };
  },
};

function parseAs<T extends RecordType>(type: T, value: unknown): ParsedRecordOf<T> {
  return { type, row: RECORD_TO_ROW[type](validated(type, value)) };
}

/** Checks one parsed line on its own and converts it to rows; throws RecordError naming the field at fault. */
export function parseRecord(value: unknown): ParsedRecord {
  return parseAs(recordType(value), value);
}
