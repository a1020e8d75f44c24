/** Building requests for the route tests: URLs per route, bearer headers, and methods other than GET. */
import type { LightMyRequestResponse } from 'fastify';
import type { RouteId } from '../../src/contract/routes.js';
import type { Fixture } from './fixture.js';
import type { Harness } from './harness.js';

export type Headers = Record<string, string | string[]>;
export type KeyName = keyof Fixture['keys'];

export const ROUTES: readonly RouteId[] = [
  'list_encounters',
  'get_encounter',
  'get_document',
  'get_transcript',
  'get_audio_url',
];

/** The document each route with a document id in its path serves by default (one of enc_a1's). */
export const DEFAULT_DOCUMENT: Partial<Record<RouteId, string>> = {
  get_document: 'doc_note',
  get_transcript: 'doc_amb',
  get_audio_url: 'doc_amb',
};

/** The path of `route` for the given ids (encoded as given: pass raw segments to test odd ids). */
export function pathOf(route: RouteId, encounterId = 'enc_a1', documentId?: string): string {
  const encounter = `/external/v1/encounters/${encounterId}`;
  const document = documentId ?? DEFAULT_DOCUMENT[route];
  switch (route) {
    case 'list_encounters':
      return '/external/v1/encounters';
    case 'get_encounter':
      return encounter;
    case 'get_document':
      return `${encounter}/documents/${document}`;
    case 'get_transcript':
      return `${encounter}/documents/${document}/transcript`;
    case 'get_audio_url':
      return `${encounter}/documents/${document}/audio`;
  }
}

/** An encounter id and, optionally, a document id (the route's default document when left out). */
export type Target = readonly [encounterId: string, documentId?: string];

/**
 * `pathOf` for each target, in order, each path once: get_encounter has no document id in its path, so targets that
 * differ only in their document give it one path.
 */
export function pathsOf(route: RouteId, targets: readonly Target[]): string[] {
  return [...new Set(targets.map(([encounterId, documentId]) => pathOf(route, encounterId, documentId)))];
}

/** A URL of `route` that answers 200 for the `full` key. */
export const OK_URL: Record<RouteId, string> = {
  list_encounters: pathOf('list_encounters'),
  get_encounter: pathOf('get_encounter'),
  get_document: pathOf('get_document'),
  get_transcript: pathOf('get_transcript'),
  get_audio_url: pathOf('get_audio_url'),
};

/** A query the route refuses: a bad `limit` on the list, any key at all on the detail routes. */
export const BAD_QUERY: Record<RouteId, string> = {
  list_encounters: '?limit=0',
  get_encounter: '?x=1',
  get_document: '?x=1',
  get_transcript: '?x=1',
  get_audio_url: '?x=1',
};

export function bearer(secret: string): Headers {
  return { authorization: `Bearer ${secret}` };
}

export function auth(h: Harness, key: KeyName = 'full'): Headers {
  return bearer(h.fixture.keys[key].secret);
}

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';

export function send(
  h: Harness,
  method: Method,
  url: string,
  headers: Headers = {},
  payload?: string,
): Promise<LightMyRequestResponse> {
  return h.runtime.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
}

/** Path and query of an absolute URL (the media URLs get_audio_url hands out), for `inject`. */
export function localPart(absoluteUrl: string): string {
  const url = new URL(absoluteUrl);
  return `${url.pathname}${url.search}`;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Path segments (as sent on the wire) that no stored id matches, built around a `known` id. */
export function oddIds(known: string): Array<[string, string]> {
  return [
    ['unknown', `${known}_unknown`],
    ['another case', known.toUpperCase()],
    ['a trailing space', `${known}%20`],
    ['an undecodable escape', '%zz'],
    ['a cut-off UTF-8 sequence', '%E0%A4'],
    ['an encoded slash', `${known}%2Fx`],
    ['an encoded NUL', '%00'],
    ['a control character', `${known}%01`],
    ['an encoded question mark', `${known}%3Fx=1`],
    ['a semicolon', `${known};x=1`],
    ['an emoji', '%F0%9F%98%80'],
    ['an SQL fragment', `${known}'%20OR%20'1'='1`],
    ['300 characters', 'x'.repeat(300)],
    ['5000 characters', 'x'.repeat(5000)],
  ];
}
