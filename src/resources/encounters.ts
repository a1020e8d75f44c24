/** list_encounters and get_encounter, and the encounter checks every detail route starts with. */
import type { Kysely } from 'kysely';
import { LIST_OFFSET } from '../contract/bounds.js';
import { PublicError } from '../contract/errors.js';
import { isValidId } from '../contract/ids.js';
import {
  type EncounterRow,
  findEncounter,
  findEncounterWithDetails,
  findPatients,
  listEncounterPage,
  listedDocuments,
} from '../store/clinical.js';
import type { Database } from '../store/schema.js';
import type { ResourceRequest, ResourceResult } from './context.js';
import { encounterView } from './views.js';

/** Step 12's encounter checks, in order: exists → same organization → not demo/training → available. */
function requireAccessibleEncounter(encounter: EncounterRow | undefined, organizationId: string): EncounterRow {
  if (!encounter) throw new PublicError('encounter_not_found');
  if (encounter.organization_id !== organizationId) throw new PublicError('cross_organization_denied');
  if (encounter.origin !== 'clinical') throw new PublicError('demo_training_denied');
  if (encounter.available !== 1) throw new PublicError('encounter_not_found');
  return encounter;
}

/** The encounter a detail route names, once step 12's checks pass. */
export async function requireEncounter(
  db: Kysely<Database>,
  organizationId: string,
  encounterId: string | undefined,
): Promise<EncounterRow> {
  const encounter = isValidId(encounterId) ? await findEncounter(db, encounterId) : undefined;
  return requireAccessibleEncounter(encounter, organizationId);
}

async function encounterViews(db: Kysely<Database>, encounters: EncounterRow[]) {
  const [patients, documents] = await Promise.all([
    findPatients(
      db,
      encounters.map((encounter) => encounter.patient_id),
    ),
    listedDocuments(
      db,
      encounters.map((encounter) => encounter.id),
    ),
  ]);
  return encounters.map((encounter) =>
    encounterView(encounter, patients.get(encounter.patient_id), documents.get(encounter.id) ?? []),
  );
}

function disclosedIds(items: ReturnType<typeof encounterView>[]): string[] {
  return items.flatMap((item) => [
    item.encounter_id,
    item.patient.patient_id,
    ...item.documents.map((d) => d.document_id),
  ]);
}

export async function listEncounters(request: ResourceRequest): Promise<ResourceResult> {
  const { limit, offset, sortOrder, startMs, endMs } = request.query;
  // One row past the page tells whether there is more, without a count query.
  const rows = await listEncounterPage(request.db, {
    organizationId: request.organizationId,
    limit: limit + 1,
    offset,
    order: sortOrder,
    startMs,
    endMs,
  });
  const hasMore = rows.length > limit;
  const items = await encounterViews(request.db, rows.slice(0, limit));
  const next = offset + limit;
  return {
    body: {
      items,
      limit,
      offset,
      sort_order: sortOrder,
      has_more: hasMore,
      next_offset: hasMore && next <= LIST_OFFSET.max ? next : null,
    },
    resourceIds: disclosedIds(items),
  };
}

export async function getEncounter(request: ResourceRequest): Promise<ResourceResult> {
  const encounterId = request.params.encounter_id;
  const found = isValidId(encounterId) ? await findEncounterWithDetails(request.db, encounterId) : undefined;
  const encounter = requireAccessibleEncounter(found?.encounter, request.organizationId);
  const view = encounterView(encounter, found!.patient, found!.documents);
  return { body: { encounter: view }, resourceIds: disclosedIds([view]) };
}
