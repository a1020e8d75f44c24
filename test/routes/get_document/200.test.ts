/**
 * GET /external/v1/encounters/{encounter_id}/documents/{document_id} → 200 `{"document": …}` (CONTRACT.md 6.2):
 * content for `document`, metadata only (no turns, no content) for `ambient_transcript`.
 */
import { describe, it } from 'vitest';
import { expectOk } from '../../support/expect-error.js';
import { DOCUMENTS } from '../../support/expected.js';
import { auth, type KeyName, pathOf, send } from '../../support/requests.js';
import { useHarness } from '../../support/use-harness.js';

describe('get_document → 200', () => {
  const h = useHarness();

  it.each([
    ['a document: markdown content and workflow_variant', 'enc_a1', 'doc_note', 'full'],
    ['a document without title or workflow_variant', 'enc_a2', 'doc_a2', 'full'],
    ["org_beta's document for org_beta's key", 'enc_b1', 'doc_b1', 'beta'],
    ['an ambient transcript: metadata only', 'enc_a1', 'doc_amb', 'full'],
    ['an ambient transcript still in draft: its metadata is served', 'enc_a1', 'doc_amb_draft', 'full'],
  ] as const)('%s (%s)', async (_name, encounterId, documentId, key: KeyName) => {
    expectOk(await h.get(pathOf('get_document', encounterId, documentId), auth(h, key)), {
      document: DOCUMENTS[documentId],
    });
  });

  it('HEAD: the same status and headers, no body', async () => {
    expectOk(
      await send(h, 'HEAD', pathOf('get_document', 'enc_a1', 'doc_note'), auth(h)),
      {
        document: DOCUMENTS.doc_note,
      },
      { head: true },
    );
  });
});
