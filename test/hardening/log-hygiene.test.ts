/**
 * Log hygiene: every log line (and anything written to stdout/stderr) of a run that touches every route, every
 * error class, audio URL issuance, media fetches and dependency faults must be free of API keys, signed URLs,
 * Authorization values and patient fields.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateKey } from '../../src/access/key-format.js';
import { addKey } from '../support/fixture.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
const written: string[] = [];
const traceLogs: string[] = [];
const restore: (() => void)[] = [];

beforeAll(async () => {
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      written.push(String(chunk));
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => {
      stream.write = original as typeof stream.write;
    });
  }
  // Every level, down to trace: Fastify's own debug and trace lines are scanned too.
  const logger = pino({ level: 'trace' }, { write: (line: string) => void traceLogs.push(line) });
  h = await startHarness({ runtime: { logger: logger as FastifyBaseLogger } });
});
afterAll(async () => {
  for (const undo of restore) undo();
  await h?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('a full run logs no key, signed URL, Authorization value or patient field', async () => {
  const keys = h.fixture.keys;
  const limited = await addKey(h.runtime, h.config, { organizationId: 'org_alpha', rateLimitPerSecond: 1 });
  const stranger = generateKey('live');
  const secrets = [...Object.values(keys).map((key) => key.secret), limited.secret, stranger];
  const auth = (secret: string) => ({ authorization: `Bearer ${secret}` });
  const full = auth(keys.full.secret);
  const authorizationValues = new Set<string>();
  const statuses = new Map<string, number>();
  const get = async (url: string, headers: Record<string, string | string[]> = {}) => {
    for (const value of [headers.authorization ?? []].flat()) authorizationValues.add(value);
    const response = await h.get(url, { 'user-agent': 'log-hygiene', ...headers });
    const reason = response.statusCode < 400 ? String(response.statusCode) : response.json().reason_code;
    statuses.set(reason, (statuses.get(reason) ?? 0) + 1);
    return response;
  };

  // A transcript whose stored JSON is corrupt (and holds a patient name): an internal error, logged as such.
  await h.runtime.store.db
    .updateTable('transcripts')
    .set({ turns: 'Avery Quill (1970-01-01) said: not JSON' })
    .where('document_id', '=', 'doc_amb_norec')
    .execute();

  // Every route, successfully.
  await get('/external/v1/encounters?limit=100', full);
  await get('/external/v1/encounters?limit=2&offset=1&sort_order=asc&start_at=2026-01-01T00:00:00Z', full);
  await get('/external/v1/encounters/enc_a1', full);
  await get('/external/v1/encounters/enc_a1/documents/doc_note', full);
  await get('/external/v1/encounters/enc_a1/documents/doc_amb', full);
  await get('/external/v1/encounters/enc_a1/documents/doc_amb/transcript', full);
  const issued = await get('/external/v1/encounters/enc_a1/documents/doc_amb/audio', full);
  const audioUrl = issued.json().audio_url as string;
  const media = new URL(audioUrl);
  const mediaPath = media.pathname + media.search;
  await get(mediaPath);
  await get(mediaPath, { range: 'bytes=0-9' });
  await h.runtime.app.inject({ method: 'HEAD', url: mediaPath });
  await h.runtime.app.inject({ method: 'HEAD', url: '/external/v1/encounters/enc_a1', headers: full });

  // Every error class.
  await get('/external/v1/encounters');
  await get('/external/v1/encounters', { authorization: `Basic ${Buffer.from('Avery:Quill').toString('base64')}` });
  await get('/external/v1/encounters', { authorization: [`Bearer ${keys.full.secret}`, `Bearer ${keys.beta.secret}`] });
  await get('/external/v1/encounters', { authorization: `Bearer ${keys.full.secret.slice(0, -1)}x` });
  await get('/external/v1/encounters', { authorization: `Bearer ${stranger}` });
  for (const key of [
    'revoked',
    'disabled',
    'expired',
    'orgKeysOff',
    'noOrg',
    'notAllowlisted',
    'noRecordings',
  ] as const) {
    await get('/external/v1/encounters/enc_a1/documents/doc_amb/audio', auth(keys[key].secret));
  }
  await get('/external/v1/encounters/enc_a1', auth(keys.listOnly.secret));
  await get('/external/v1/encounters/enc_a1', auth(keys.beta.secret));
  await get('/external/v1/encounters/enc_demo', full);
  await get('/external/v1/encounters/Avery%20Quill', full);
  await get('/external/v1/encounters/enc_a1?Avery=Quill', full);
  await get('/external/v1/encounters?limit=Avery', full);
  await get('/external/v1/encounters?offset=-1', full);
  await get('/external/v1/encounters?sort_order=Quill', full);
  await get('/external/v1/encounters?start_at=1970-01-01', full);
  await get('/external/v1/encounters?start_at=2026-01-02T00:00:00Z&end_at=2026-01-01T00:00:00Z', full);
  await get('/external/v1/encounters/enc_a1/documents/doc_hidden', full);
  await get('/external/v1/encounters/enc_a1/documents/doc_intake', full);
  await get('/external/v1/encounters/enc_a1/documents/doc_amb_draft/transcript', full);
  await get('/external/v1/encounters/enc_a1/documents/doc_amb_norec/transcript', full); // the corrupt one: 500
  await get('/external/v1/encounters/enc_a1/documents/doc_amb_norec/audio', full);
  await get('/external/v1/encounters/enc_a1/documents/doc_amb_lost/audio', full);
  await get('/external/v1/Avery');
  await h.runtime.app.inject({ method: 'POST', url: '/external/v1/encounters', headers: full, payload: 'Avery' });
  await get(mediaPath.replace(/sig=./, 'sig=A'));
  await get(`${mediaPath}&v=2`);
  for (let i = 0; i < 3; i++) await get('/external/v1/encounters?limit=1', auth(limited.secret));

  // Dependency faults: audio storage gone, then the digest keyring gone.
  const dir = h.config.audioStorage.slice('file:'.length);
  renameSync(dir, `${dir}.aside`);
  await get('/external/v1/encounters/enc_a1/documents/doc_amb/audio', full);
  await get(mediaPath);
  renameSync(`${dir}.aside`, dir);
  const keyring = readFileSync(h.config.digestKeysFile);
  unlinkSync(h.config.digestKeysFile);
  await sleep(1100);
  await get('/external/v1/encounters', full);
  await get(mediaPath);
  writeFileSync(h.config.digestKeysFile, keyring, { mode: 0o600 });
  await sleep(1100);
  await get('/external/v1/encounters', full);

  await h.runtime.audit.flush();
  for (const undo of restore.splice(0)) undo();

  // The run really covered what it claims.
  for (const reason of [
    '200',
    '206',
    'missing_bearer',
    'malformed_token',
    'invalid_key',
    'revoked_key',
    'disabled_key',
    'expired_key',
    'api_keys_disabled',
    'org_scope_only_required',
    'organization_not_allowlisted',
    'route_not_allowed',
    'missing_scope',
    'cross_organization_denied',
    'demo_training_denied',
    'unsupported_filter',
    'invalid_limit',
    'invalid_offset',
    'invalid_sort',
    'invalid_query',
    'encounter_not_found',
    'document_not_found',
    'unsupported_document_type',
    'transcript_not_found',
    'audio_not_available_for_document',
    'audio_not_found',
    'route_not_found',
    'media_url_invalid',
    'rate_limited',
    'audio_storage_unavailable',
    'digest_key_unavailable',
    'internal_error',
  ]) {
    expect(statuses.get(reason) ?? 0, reason).toBeGreaterThan(0);
  }

  const logs = [...traceLogs, ...h.logs, ...written].join('\n');
  expect(traceLogs.length).toBeGreaterThan(50);
  const forbidden = [
    ...secrets,
    ...authorizationValues,
    audioUrl,
    media.search,
    new URLSearchParams(media.search).get('sig')!,
    media.pathname.split('/').pop()!, // the object token
    'Avery',
    'Quill',
    'Blake',
    'Rowan',
    '1970-01-01',
    '1985-12-31',
    'Patient doing well',
    'Good morning',
  ];
  const found = forbidden.filter((value) => logs.includes(value));
  expect(found).toEqual([]);
  expect(logs).not.toMatch(/ch_sk_/);
  expect(logs).not.toMatch(/sig=/);
  expect(logs).not.toMatch(/Bearer /);
  console.log(
    `log hygiene: ${traceLogs.length} log lines (level trace and up) and ${written.length} stdout/stderr writes scanned, ` +
      `${[...statuses.values()].reduce((a, b) => a + b, 0)} requests across ${statuses.size} outcomes`,
  );
}, 60_000);
