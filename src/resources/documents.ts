/** get_document, and the document checks the transcript and audio routes share. */
import { PublicError } from '../contract/errors.js';
import { isValidId } from '../contract/ids.js';
import { type DocumentRow, findDocument } from '../store/clinical.js';
import type { ResourceRequest, ResourceResult } from './context.js';
import { requireEncounter } from './encounters.js';
import { documentView } from './views.js';

/**
 * The encounter checks, then: the document exists, belongs to the encounter of the path and is available
 * (document_not_found), and its type is one the route supports (unsupported_document_type).
 */
export async function requireDocument(
  request: ResourceRequest,
  supportedTypes: readonly string[],
): Promise<DocumentRow> {
  const encounter = await requireEncounter(request.db, request.organizationId, request.params.encounter_id);
  const documentId = request.params.document_id;
  const document = isValidId(documentId) ? await findDocument(request.db, documentId) : undefined;
  if (!document || document.encounter_id !== encounter.id || document.available !== 1) {
    throw new PublicError('document_not_found');
  }
  if (!supportedTypes.includes(document.schema_type)) throw new PublicError('unsupported_document_type');
  return document;
}

export async function getDocument(request: ResourceRequest): Promise<ResourceResult> {
  const document = await requireDocument(request, ['document', 'ambient_transcript']);
  return { body: { document: documentView(document) }, resourceIds: [document.encounter_id, document.id] };
}
