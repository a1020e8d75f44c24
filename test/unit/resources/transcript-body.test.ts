/**
 * get_transcript writes its body by hand around the stored turns (src/resources/transcripts.ts). Its bytes must
 * be exactly what the route's response serializer would write from the same values: the oracle here is a bare
 * Fastify route with the TranscriptResponse schema serving the parsed body, for values chosen to stress escaping
 * and number formatting.
 */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { TranscriptResponse } from '../../../src/contract/schemas.js';
import { storedTurns, type TranscriptTurn } from '../../../src/store/transcript-turns.js';
import { auth, pathOf } from '../../support/requests.js';
import { useHarness } from '../../support/use-harness.js';

async function serializedBySchema(body: unknown): Promise<string> {
  const app = Fastify();
  app.get('/', { schema: { response: { 200: TranscriptResponse } } }, async () => body);
  const response = await app.inject({ method: 'GET', url: '/' });
  await app.close();
  return response.body;
}

// No NUL here: PostgreSQL text cannot hold one (a turn's text carries one, escaped inside the JSON text).
const HOSTILE =
  'quote " backslash \\ slash / tab \t newline \n bell \u0007 del \u007f sep \u2028 \u2029 é 漢 🩺 </script>';

const CASES: { name: string; provider: string; duration: number | null; turns: TranscriptTurn[] }[] = [
  { name: 'no turns, no duration', provider: 'deepgram', duration: null, turns: [] },
  {
    name: 'escapes in every string',
    provider: HOSTILE,
    duration: 842.4,
    turns: [
      { speaker: HOSTILE, start: 0, end: 1.5, text: `${HOSTILE} nul \u0000` },
      { speaker: 'patient', start: 1.5, end: 2, text: '' },
    ],
  },
  {
    name: 'numbers at the edges of their notation',
    provider: 'p',
    duration: 1e21,
    turns: [
      { speaker: 'a', start: 1e-7, end: 0.1 + 0.2, text: 'x' },
      { speaker: 'b', start: 123456789.125, end: 9007199254740991, text: 'y' },
    ],
  },
];

describe('get_transcript body', () => {
  const h = useHarness();

  it.each(CASES)('the bytes the schema serializer writes: $name', async ({ provider, duration, turns }) => {
    await h.runtime.store.db
      .updateTable('transcripts')
      .set({ provider, audio_duration_seconds: duration, turns: storedTurns(turns) })
      .where('document_id', '=', 'doc_amb_norec')
      .execute();
    const response = await h.get(pathOf('get_transcript', 'enc_a1', 'doc_amb_norec'), auth(h));
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = {
      encounter_id: 'enc_a1',
      document_id: 'doc_amb_norec',
      transcript: { provider, audio_duration_seconds: duration, turns },
    };
    expect(JSON.parse(response.body)).toEqual(body);
    expect(response.body).toBe(await serializedBySchema(body));
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(response.body)));
  });
});
