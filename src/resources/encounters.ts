/** list_encounters and get_encounter, and the encounter checks every detail route starts with. */
import type { Kysely } from 'kysely';
import { LIST_OFFSET } from '../contract/bounds.js';
import { PublicError } from '../contract/errors.js';
import { isValidId } from '../contract/ids.js';
import {
  type EncounterPageQuery,
  type EncounterRow,
  findEncounter,
  findEncounterWithDetails,
  findServedEncounter,
  listEncounterPage,
  listServedPage,
} from '../store/clinical.js';
import type { Database } from '../store/schema.js';
import { type ResourceRequest, type ResourceResult, SerializedJson } from './context.js';
import { disclosedIds, encounterItems, isServable } from './encounter-items.js';
import { encounterView } from './views.js';

type AccessFields = Pick<EncounterRow, 'organization_id' | 'origin' | 'available'>;

/** Step 12's encounter checks, in order: exists → same organization → not demo/training → available. */
function requireAccessibleEncounter<T extends AccessFields>(encounter: T | undefined, organizationId: string): T {
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

/** The page's fields after its items, as EncounterList (src/contract/schemas.ts) lists them. */
function pageFields(request: ResourceRequest, hasMore: boolean) {
  const { limit, offset, sortOrder } = request.query;
  const next = offset + limit;
  return {
    limit,
    offset,
    sort_order: sortOrder,
    has_more: hasMore,
    next_offset: hasMore && next <= LIST_OFFSET.max ? next : null,
  };
}

export async function listEncounters(request: ResourceRequest): Promise<ResourceResult> {
  const { limit, offset, sortOrder, startMs, endMs } = request.query;
  // One row past the page tells whether there is more, without a count query.
  const page: EncounterPageQuery = {
    organizationId: request.organizationId,
    limit: limit + 1,
    offset,
    order: sortOrder,
    startMs,
    endMs,
  };
  const served = await listServedPage(request.db, page);
  const stored = served.slice(0, limit);
  if (stored.every((row) => isServable(row, row.id, request.organizationId))) {
    // Every item as stored, spliced into EncounterList in its property order, as the route's serializer writes it;
    // test/unit/resources/encounter-items.test.ts holds the two to the same bytes.
    const fields = pageFields(request, served.length > limit);
    const body =
      `{"items":[${stored.map((row) => row.item).join(',')}],"limit":${fields.limit},"offset":${fields.offset},` +
      `"sort_order":${JSON.stringify(fields.sort_order)},"has_more":${fields.has_more},` +
      `"next_offset":${JSON.stringify(fields.next_offset)}}`;
    // One split of the joined lists (the same ids in the same order): a split per item cost five times as much.
    const resourceIds = stored
      .map((row) => row.disclosed)
      .join(',')
      .split(',');
    return { body: new SerializedJson(body), resourceIds };
  }
  // An encounter of the page has no stored item of the current form: the page is built from its rows.
  const rows = await listEncounterPage(request.db, page);
  const items = await encounterItems(request.db, rows.slice(0, limit));
  return { body: { items, ...pageFields(request, rows.length > limit) }, resourceIds: disclosedIds(items) };
}

export async function getEncounter(request: ResourceRequest): Promise<ResourceResult> {
  const encounterId = request.params.encounter_id;
  if (!isValidId(encounterId)) throw new PublicError('encounter_not_found');
  const served = requireAccessibleEncounter(await findServedEncounter(request.db, encounterId), request.organizationId);
  if (isServable(served, encounterId, request.organizationId)) {
    return { body: new SerializedJson(`{"encounter":${served.item}}`), resourceIds: served.disclosed.split(',') };
  }
  const found = await findEncounterWithDetails(request.db, encounterId);
  const encounter = requireAccessibleEncounter(found?.encounter, request.organizationId);
  const view = encounterView(encounter, found!.patient, found!.documents);
  return { body: { encounter: view }, resourceIds: disclosedIds([view]) };
}
