/**
 * GET /external/v1/encounters/{encounter_id}/documents/{document_id}/audio → 400 (CONTRACT.md 2.1): unsupported_filter for any query key at all (step 11), and unsupported_document_type for anything but an ambient_transcript document (step 12).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectError } from '../../support/expect-error.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { auth, OK_URL } from '../../support/requests.js';

const ROUTE = 'get_audio_url';
const URL = OK_URL[ROUTE];

describe('get_audio_url → 400', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  describe('unsupported_filter: the route accepts no query key', () => {
    it.each([
      ['an unknown key', 'x=1', 'x'],
      ['an unknown key without "="', 'x', 'x'],
      ['a key the list route accepts', 'limit=5', 'limit'],
      ['another list key', 'sort_order=asc', 'sort_order'],
      ['the first of several keys', 'b=1&a=2', 'b'],
      ['a percent-encoded key', '%78=1', 'x'],
      ['a 65-character key (not echoed)', `${'k'.repeat(65)}=1`, null],
      ['an empty key', '=', null],
      ['a key with a control character', '%00=1', null],
    ])('%s (?%s) → field %j', async (_name, query, field) => {
      expectError(await h.get(`${URL}?${query}`, auth(h)), { reason_code: 'unsupported_filter', field });
    });

    it.each([
      '/external/v1/encounters/enc_unknown/documents/doc_unknown/audio',
      '/external/v1/encounters/enc_b1/documents/doc_b1/audio',
      '/external/v1/encounters/enc_demo/documents/doc_demo/audio',
      '/external/v1/encounters/enc_unavailable/documents/doc_unavailable_enc/audio',
      '/external/v1/encounters/enc_a1/documents/doc_unknown/audio',
      '/external/v1/encounters/enc_a1/documents/doc_hidden/audio',
      '/external/v1/encounters/enc_a1/documents/doc_intake/audio',
      '/external/v1/encounters/enc_a1/documents/doc_note/audio',
      '/external/v1/encounters/enc_a1/documents/doc_amb_norec/audio',
      '/external/v1/encounters/enc_a1/documents/doc_amb_lost/audio',
    ])('comes before the resource checks: %s?x=1', async (path) => {
      expectError(await h.get(`${path}?x=1`, auth(h)), { reason_code: 'unsupported_filter', field: 'x' });
    });
  });

  describe("unsupported_document_type: the document's schema_type is not one this route serves", () => {
    it.each([
      '/external/v1/encounters/enc_a1/documents/doc_note/audio',
      '/external/v1/encounters/enc_a1/documents/doc_intake/audio',
      '/external/v1/encounters/enc_a2/documents/doc_a2/audio',
    ])('%s', async (path) => {
      expectError(await h.get(path, auth(h)), { reason_code: 'unsupported_document_type' });
    });
  });
});
