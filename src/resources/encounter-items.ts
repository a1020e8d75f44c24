/**
 * An encounter's list item (the `Encounter` body), built from its rows, and its stored form (encounter_items).
 * list_encounters and get_encounter send stored items as they are: a page then costs one indexed read instead of
 * reading its patients and documents, mapping and serializing a hundred items (bench/README.md, 12-02). The import
 * rebuilds an encounter's item in the transaction that changes the encounter, its patient or one of its documents
 * (src/import/importer.ts); migration 005 wrote every item that existed before. A request sends a stored item only
 * when it is of the current form and names the encounter and organization it is served for; any other page or
 * detail is built from the rows, as before.
 */
import type { Kysely } from 'kysely';
import { isValidId } from '../contract/ids.js';
import {
  type EncounterRow,
  encounterIdsAfter,
  findEncounters,
  findPatients,
  listedDocuments,
  type ServedItem,
} from '../store/clinical.js';
import { BATCH_ROWS, upsertEncounterItems } from '../store/clinical-upserts.js';
import type { Database, EncounterItemsTable } from '../store/schema.js';
import { encounterView } from './views.js';

/**
 * The form stored items are written in. Bump it whenever what encounterView (or the Encounter schema) writes
 * changes, and add a migration that rebuilds every item: until then, items of the older form are not served.
 * test/unit/resources/encounter-items.test.ts pins the form, so a change that forgets this fails there.
 */
export const ENCOUNTER_ITEM_VERSION = 1;

/** A form never served: written for an encounter whose item cannot be stored, so no older item stays. */
const NOT_SERVED_VERSION = 0;

export type EncounterItem = ReturnType<typeof encounterView>;

/** The items of these encounters (in their order), from their rows, their patients and their listed documents. */
export async function encounterItems(db: Kysely<Database>, encounters: readonly EncounterRow[]) {
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

/** Every id the items disclose: each encounter, its patient and each listed document. */
export function disclosedIds(items: readonly EncounterItem[]): string[] {
  return items.flatMap((item) => [
    item.encounter_id,
    item.patient.patient_id,
    ...item.documents.map((d) => d.document_id),
  ]);
}

/**
 * An item's stored row. Its JSON is what the route's serializer writes for it (the view lists the schema's
 * properties in the schema's order; test/unit/resources/encounter-items.test.ts holds the two to the same bytes).
 * The disclosed ids are stored comma-separated, which an id outside the id rule could break: such an item is
 * stored as not servable, and its requests build it from the rows.
 */
export function encounterItemRow(item: EncounterItem): EncounterItemsTable {
  const ids = disclosedIds([item]);
  if (!ids.every(isValidId)) {
    return { encounter_id: item.encounter_id, version: NOT_SERVED_VERSION, item: '', disclosed: '' };
  }
  return {
    encounter_id: item.encounter_id,
    version: ENCOUNTER_ITEM_VERSION,
    item: JSON.stringify(item),
    disclosed: ids.join(','),
  };
}

/** Writes the current item of each of these encounters (ids that name no encounter are skipped). */
export async function rebuildEncounterItems(db: Kysely<Database>, encounterIds: Iterable<string>): Promise<void> {
  const ids = [...new Set(encounterIds)];
  for (let start = 0; start < ids.length; start += BATCH_ROWS) {
    const encounters = await findEncounters(db, ids.slice(start, start + BATCH_ROWS));
    const items = await encounterItems(db, encounters);
    await upsertEncounterItems(db, items.map(encounterItemRow));
  }
}

/** Writes the item of every encounter, in batches by id (migration 005, and data sets written around the import). */
export async function rebuildAllEncounterItems(db: Kysely<Database>): Promise<void> {
  let after = '';
  for (;;) {
    const ids = await encounterIdsAfter(db, after, BATCH_ROWS);
    await rebuildEncounterItems(db, ids);
    if (ids.length < BATCH_ROWS) return;
    after = ids[ids.length - 1]!;
  }
}

/** How every stored item opens, before its encounter id. */
const ITEM_HEAD = '{"encounter_id":';

/**
 * Whether a stored item may be sent for this encounter of this organization: of the current form, and its text
 * opens with their ids (a row attached to another encounter, or text of another shape, is never sent).
 */
export function isServable(
  stored: ServedItem,
  encounterId: string,
  organizationId: string,
): stored is { version: number; item: string; disclosed: string } {
  if (stored.version !== ENCOUNTER_ITEM_VERSION || stored.disclosed === null || stored.item === null) return false;
  // Compared piece by piece where each must stand: building the whole prefix per item cost half as much again,
  // a hundred times per list page.
  const idJson = JSON.stringify(encounterId);
  return (
    stored.item.startsWith(ITEM_HEAD) &&
    stored.item.startsWith(idJson, ITEM_HEAD.length) &&
    stored.item.startsWith(`,"organization_id":${JSON.stringify(organizationId)},`, ITEM_HEAD.length + idJson.length)
  );
}
