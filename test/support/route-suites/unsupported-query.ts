/**
 * Detail routes → 400 (CONTRACT.md 2.1): unsupported_filter for any query key at all (step 11), before the resource
 * checks; and unsupported_document_type for a document of a schema_type the route does not serve (step 12).
 */
import { describe, it } from 'vitest';
import type { RouteId } from '../../../src/contract/routes.js';
import { expectError } from '../expect-error.js';
import type { Harness } from '../harness.js';
import { auth, DEFAULT_DOCUMENT, OK_URL, pathsOf, type Target } from '../requests.js';
import { useHarness } from '../use-harness.js';

/** Documents of enc_a1/enc_a2 that are not ambient transcripts: the transcript and audio routes serve none of them. */
export const NOT_AMBIENT_TRANSCRIPTS: Target[] = [
  ['enc_a1', 'doc_note'],
  ['enc_a1', 'doc_intake'],
  ['enc_a2', 'doc_a2'],
];

export interface UnsupportedQueryOptions {
  /** Further documents of enc_a1 whose checks the query comes before (those the route refuses in its own way). */
  documentsAfterQuery?: string[];
  /** Documents whose schema_type the route does not serve: unsupported_document_type. */
  unsupportedDocuments?: Target[];
}

export function unsupportedQuerySuite(route: RouteId, options: UnsupportedQueryOptions = {}): void {
  const URL = OK_URL[route];
  const resources: Target[] = [
    ['enc_unknown', 'doc_unknown'],
    ['enc_b1', 'doc_b1'],
    ['enc_demo', 'doc_demo'],
    ['enc_unavailable', 'doc_unavailable_enc'],
  ];
  if (DEFAULT_DOCUMENT[route] !== undefined) {
    const documents = ['doc_unknown', 'doc_hidden', 'doc_intake', ...(options.documentsAfterQuery ?? [])];
    resources.push(...documents.map((document): Target => ['enc_a1', document]));
  }

  describe(`${route} → 400`, () => {
    const h = useHarness();

    describe('unsupported_filter: the route accepts no query key', () => {
      itRefusesQueryKeys(h, URL, [
        ['an unknown key', 'x=1', 'x'],
        ['an unknown key without "="', 'x', 'x'],
        ['a key the list route accepts', 'limit=5', 'limit'],
        ['another list key', 'sort_order=asc', 'sort_order'],
        ['the first of several keys', 'b=1&a=2', 'b'],
        ['a percent-encoded key', '%78=1', 'x'],
        ['a 65-character key (not echoed)', `${'k'.repeat(65)}=1`, null],
        ['an empty key', '=', null],
        ['a key with a control character', '%00=1', null],
      ]);

      it.each(pathsOf(route, resources))('comes before the resource checks: %s?x=1', async (path) => {
        expectError(await h.get(`${path}?x=1`, auth(h)), { reason_code: 'unsupported_filter', field: 'x' });
      });
    });

    const unsupported = options.unsupportedDocuments;
    if (unsupported !== undefined) {
      describe("unsupported_document_type: the document's schema_type is not one this route serves", () => {
        it.each(pathsOf(route, unsupported))('%s', async (path) => {
          expectError(await h.get(path, auth(h)), { reason_code: 'unsupported_document_type' });
        });
      });
    }
  });
}

/** Each case [what the query is, the query, the field named (null: not echoed)]: `url?query` → unsupported_filter. */
export function itRefusesQueryKeys(h: Harness, url: string, cases: Array<[string, string, string | null]>): void {
  it.each(cases)('%s (?%s) → field %j', async (_name, query, field) => {
    expectError(await h.get(`${url}?${query}`, auth(h)), { reason_code: 'unsupported_filter', field });
  });
}
