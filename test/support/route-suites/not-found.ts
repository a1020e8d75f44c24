/**
 * Detail routes → 404 (CONTRACT.md 2.1 and section 6: a path id of any shape that is not found is a 404):
 * encounter_not_found, and document_not_found on the routes with a document id in their path.
 */
import { describe, it } from 'vitest';
import type { RouteId } from '../../../src/contract/routes.js';
import type { Code } from '../contract.js';
import { expectError } from '../expect-error.js';
import type { Harness } from '../harness.js';
import { auth, DEFAULT_DOCUMENT, oddIds, pathOf, pathsOf } from '../requests.js';
import { useHarness } from '../use-harness.js';

export interface NotFoundOptions {
  /** A 404 of the route's own for some of enc_a1's documents: each case is [what the document is, its id]. */
  documentCases?: { title: string; reason_code: Code; cases: Array<[string, string]> };
  /** The route's own cases, in the same block (and harness) after all others. */
  more?: (h: Harness) => void;
}

export function notFoundSuite(route: RouteId, options: NotFoundOptions = {}): void {
  const document = DEFAULT_DOCUMENT[route];
  const { documentCases, more } = options;

  describe(`${route} → 404`, () => {
    const h = useHarness();

    describe('encounter_not_found: no such encounter, or it is not available', () => {
      it.each(
        pathsOf(route, [
          ['enc_unknown'],
          ['enc_unknown', 'doc_unknown'],
          ['enc_unavailable', 'doc_unavailable_enc'],
          ['enc_unavailable', 'doc_unknown'],
        ]),
      )('%s', async (path) => {
        expectError(await h.get(path, auth(h)), { reason_code: 'encounter_not_found' });
      });

      it.each(oddIds('enc_a1'))('an encounter id that is %s (%s)', async (_name, id) => {
        expectError(await h.get(pathOf(route, id), auth(h)), { reason_code: 'encounter_not_found' });
      });
    });

    if (document !== undefined) {
      describe('document_not_found: no such document, not in the encounter of the path, or not available', () => {
        it.each(
          pathsOf(route, [
            ['enc_a1', 'doc_unknown'],
            ['enc_a2'],
            ['enc_a1', 'doc_a2'],
            ['enc_a1', 'doc_b1'],
            ['enc_a1', 'doc_demo'],
            ['enc_a1', 'doc_unavailable_enc'],
            ['enc_a1', 'doc_hidden'],
          ]),
        )('%s', async (path) => {
          expectError(await h.get(path, auth(h)), { reason_code: 'document_not_found' });
        });

        it.each(oddIds(document))('a document id that is %s (%s)', async (_name, id) => {
          expectError(await h.get(pathOf(route, 'enc_a1', id), auth(h)), { reason_code: 'document_not_found' });
        });
      });
    }

    if (documentCases !== undefined) {
      describe(documentCases.title, () => {
        it.each(documentCases.cases)('%s (%s)', async (_name, documentId) => {
          expectError(await h.get(pathOf(route, 'enc_a1', documentId), auth(h)), {
            reason_code: documentCases.reason_code,
          });
        });
      });
    }

    more?.(h);
  });
}
