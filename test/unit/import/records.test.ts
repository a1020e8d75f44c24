import { describe, expect, it } from 'vitest';
import { parseRecord } from '../../../src/import/records.js';

const ENCOUNTER = {
  type: 'encounter',
  id: 'enc_1',
  organization_id: 'org_1',
  patient_id: 'pat_1',
  encounter_type: 'ambient',
  status: 'completed',
  origin: 'clinical',
  available: true,
  created_at: '2026-05-25T14:00:00Z',
  updated_at: '2026-05-25T14:00:00.250+02:00',
};
const NOTE = {
  type: 'document',
  id: 'doc_1',
  encounter_id: 'enc_1',
  schema_type: 'document',
  available: true,
  content: { format: 'markdown', text: '# Hi' },
  created_at: '2026-05-25T14:00:00Z',
  updated_at: '2026-05-25T14:00:00Z',
};
const TRANSCRIPT = {
  type: 'transcript',
  document_id: 'doc_1',
  provider: 'deepgram',
  turns: [
    { speaker: 'clinician', start: 0, end: 1.5, text: 'Hello.' },
    { speaker: 'patient', start: 1.5, end: 2, text: 'Hi.' },
  ],
};

const problem = (value: unknown) => {
  try {
    parseRecord(value);
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
};

describe('parseRecord: valid records become rows', () => {
  it('converts dates to epoch milliseconds and booleans to 0/1; nullable fields may be left out', () => {
    expect(parseRecord(ENCOUNTER)).toEqual({
      type: 'encounter',
      row: {
        id: 'enc_1',
        organization_id: 'org_1',
        patient_id: 'pat_1',
        encounter_type: 'ambient',
        status: 'completed',
        origin: 'clinical',
        available: 1,
        created_at_ms: Date.parse('2026-05-25T14:00:00Z'),
        updated_at_ms: Date.parse('2026-05-25T12:00:00.250Z'),
        date_of_service_ms: null,
      },
    });
    expect(parseRecord({ type: 'patient', id: 'pat_1', organization_id: 'org_1' })).toEqual({
      type: 'patient',
      row: { id: 'pat_1', organization_id: 'org_1', first_name: null, last_name: null, date_of_birth: null },
    });
  });

  it('keeps document content and leaves unsupported schema types to the API', () => {
    expect(parseRecord(NOTE).row).toMatchObject({
      content_format: 'markdown',
      content_text: '# Hi',
      title: null,
      status: null,
      workflow_variant: null,
      audio_duration_seconds: null,
      available: 1,
    });
    expect(parseRecord({ ...NOTE, schema_type: 'intake_form', content: null }).row).toMatchObject({
      schema_type: 'intake_form',
      content_format: null,
    });
  });

  it('stores transcript turns as JSON in a fixed key order', () => {
    const turns = [{ text: 'Hello.', end: 1, start: 0, speaker: 'clinician' }];
    expect(parseRecord({ ...TRANSCRIPT, turns, finalized_at: null }).row).toEqual({
      document_id: 'doc_1',
      provider: 'deepgram',
      audio_duration_seconds: null,
      finalized_at_ms: null,
      turns: '[{"speaker":"clinician","start":0,"end":1,"text":"Hello."}]',
    });
  });

  it('stores turns that start together ordered by their end, the order the API serves them in', () => {
    const turns = [
      { speaker: 'other', start: 5, end: 9, text: 'Long.' },
      { speaker: 'patient', start: 5, end: 6, text: 'Short.' },
      { speaker: 'clinician', start: 5, end: 6, text: 'Also short.' },
      { speaker: 'patient', start: 9.5, end: 9.75, text: 'Last.' },
    ];
    expect(parseRecord({ ...TRANSCRIPT, turns }).row).toMatchObject({
      turns:
        '[{"speaker":"patient","start":5,"end":6,"text":"Short."},' +
        '{"speaker":"clinician","start":5,"end":6,"text":"Also short."},' +
        '{"speaker":"other","start":5,"end":9,"text":"Long."},' +
        '{"speaker":"patient","start":9.5,"end":9.75,"text":"Last."}]',
    });
  });
});

describe('parseRecord: the message names the field at fault', () => {
  const cases: [string, unknown, string][] = [
    ['not an object', [1, 2], 'a record must be a JSON object'],
    ['null', null, 'a record must be a JSON object'],
    ['no type', { id: 'x' }, 'type: required'],
    [
      'non-string type',
      { type: 5 },
      'type: unknown record type 5 (expected one of organization, patient, encounter, document, transcript, recording)',
    ],
    ['missing field', { type: 'organization', id: 'org_1' }, 'organization.name: required'],
    ['empty name', { type: 'organization', id: 'org_1', name: '' }, 'organization.name: must not be empty'],
    [
      'unknown field',
      { type: 'patient', id: 'pat_1', organization_id: 'org_1', middle_name: 'Q' },
      'patient.middle_name: unknown field',
    ],
    [
      'unsafe id',
      { type: 'patient', id: '../pat', organization_id: 'org_1' },
      'patient.id: must be 1 to 128 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-", starting with a letter or digit',
    ],
    [
      'bad date of birth',
      { type: 'patient', id: 'pat_1', organization_id: 'org_1', date_of_birth: '1970-13-01' },
      'patient.date_of_birth: not a valid date (YYYY-MM-DD)',
    ],
    ['boolean as string', { ...ENCOUNTER, available: 'yes' }, 'encounter.available: must be true or false'],
    [
      'unknown origin',
      { ...ENCOUNTER, origin: 'import' },
      'encounter.origin: must be one of "clinical", "demo", "training"',
    ],
    [
      'date without offset',
      { ...ENCOUNTER, updated_at: '2026-05-25T14:00:00' },
      'encounter.updated_at: not an RFC 3339 date-time with offset',
    ],
    [
      'date only',
      { ...ENCOUNTER, date_of_service: '2026-05-25' },
      'encounter.date_of_service: not an RFC 3339 date-time with offset',
    ],
    ['date as number', { ...ENCOUNTER, created_at: 1716645600 }, 'encounter.created_at: must be a string'],
    ['nullable string', { ...NOTE, title: 5 }, 'document.title: must be a string or null'],
    ['note without content', { ...NOTE, content: null }, 'document.content: required when schema_type is "document"'],
    [
      'content format',
      { ...NOTE, content: { format: 'html', text: '<p>' } },
      'document.content.format: must be "markdown"',
    ],
    ['content text missing', { ...NOTE, content: { format: 'markdown' } }, 'document.content.text: required'],
    [
      'negative duration',
      { ...NOTE, audio_duration_seconds: -1 },
      'document.audio_duration_seconds: must be a number of at least 0 or null',
    ],
    [
      'turn out of order',
      { ...TRANSCRIPT, turns: [TRANSCRIPT.turns[1], TRANSCRIPT.turns[0]] },
      'transcript.turns[1].start: turns must be in time order',
    ],
    [
      'turn ending before it starts',
      { ...TRANSCRIPT, turns: [{ speaker: 'patient', start: 2, end: 1, text: '' }] },
      'transcript.turns[0].end: must not be before start',
    ],
    [
      'turn field',
      { ...TRANSCRIPT, turns: [{ speaker: 'patient', start: 0, end: 1, text: 'x', confidence: 0.9 }] },
      'transcript.turns[0].confidence: unknown field',
    ],
    [
      'negative turn start',
      { ...TRANSCRIPT, turns: [{ speaker: 'patient', start: -1, end: 1, text: '' }] },
      'transcript.turns[0].start: must be a number of at least 0',
    ],
    ['turns not an array', { ...TRANSCRIPT, turns: {} }, 'transcript.turns: must be an array'],
    [
      'finalized_at',
      { ...TRANSCRIPT, finalized_at: '2026-05-25 14:00:00Z' },
      'transcript.finalized_at: not an RFC 3339 date-time with offset',
    ],
    [
      'content type wav file',
      { type: 'recording', document_id: 'doc_1', file: 'a.wav', content_type: 'wav file' },
      'recording.content_type: must be audio/<subtype> (such as audio/wav), with no parameters',
    ],
    [
      'content type text/html',
      { type: 'recording', document_id: 'doc_1', file: 'a.wav', content_type: 'text/html' },
      'recording.content_type: must be audio/<subtype> (such as audio/wav), with no parameters',
    ],
    [
      'content type audio/',
      { type: 'recording', document_id: 'doc_1', file: 'a.wav', content_type: 'audio/' },
      'recording.content_type: must be audio/<subtype> (such as audio/wav), with no parameters',
    ],
    [
      'content type audio/wav; codecs=1',
      { type: 'recording', document_id: 'doc_1', file: 'a.wav', content_type: 'audio/wav; codecs=1' },
      'recording.content_type: must be audio/<subtype> (such as audio/wav), with no parameters',
    ],
    [
      'content type Audio/wav',
      { type: 'recording', document_id: 'doc_1', file: 'a.wav', content_type: 'Audio/wav' },
      'recording.content_type: must be audio/<subtype> (such as audio/wav), with no parameters',
    ],
    [
      'content type audio/../x',
      { type: 'recording', document_id: 'doc_1', file: 'a.wav', content_type: 'audio/../x' },
      'recording.content_type: must be audio/<subtype> (such as audio/wav), with no parameters',
    ],
    [
      'content type image/svg+xml',
      { type: 'recording', document_id: 'doc_1', file: 'a.wav', content_type: 'image/svg+xml' },
      'recording.content_type: must be audio/<subtype> (such as audio/wav), with no parameters',
    ],
    [
      'content type audio/wäv',
      { type: 'recording', document_id: 'doc_1', file: 'a.wav', content_type: 'audio/wäv' },
      'recording.content_type: must be audio/<subtype> (such as audio/wav), with no parameters',
    ],
    [
      'content type with a header injection',
      { type: 'recording', document_id: 'doc_1', file: 'a.wav', content_type: 'audio/x\r\nSet-Cookie: a' },
      'recording.content_type: must be audio/<subtype> (such as audio/wav), with no parameters',
    ],
    [
      'empty file',
      { type: 'recording', document_id: 'doc_1', file: '', content_type: 'audio/wav' },
      'recording.file: must not be empty',
    ],
  ];
  for (const [name, value, message] of cases) {
    it(name, () => expect(problem(value)).toBe(message));
  }
});
