/**
 * Who owns the clinical records an import batch names: one indexed `id IN (…)` lookup per table and batch, run in
 * the import's transaction so it also sees the batches already written. The importer refuses a record whose id
 * exists under another organization and checks references against these answers.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Where a document hangs: its encounter (and so its organization) and its kind. */
export interface DocumentPlacement {
  schemaType: string;
  encounterId: string;
}

/** The ids among `ids` that are organizations. */
export async function existingOrganizationIds(db: Kysely<Database>, ids: ReadonlySet<string>): Promise<Set<string>> {
  if (ids.size === 0) return new Set();
  const rows = await db
    .selectFrom('organizations')
    .select('id')
    .where('id', 'in', [...ids])
    .execute();
  return new Set(rows.map((row) => row.id));
}

/** Patient or encounter id → its organization, for the ids among `ids` that exist in `table`. */
export async function ownerOrganizations(
  db: Kysely<Database>,
  table: 'patients' | 'encounters',
  ids: ReadonlySet<string>,
): Promise<Map<string, string>> {
  if (ids.size === 0) return new Map();
  const rows = await db
    .selectFrom(table)
    .select(['id', 'organization_id'])
    .where('id', 'in', [...ids])
    .execute();
  return new Map(rows.map((row) => [row.id, row.organization_id]));
}

/** Document id → where it hangs, for the ids among `ids` that exist. */
export async function documentPlacements(
  db: Kysely<Database>,
  ids: ReadonlySet<string>,
): Promise<Map<string, DocumentPlacement>> {
  if (ids.size === 0) return new Map();
  const rows = await db
    .selectFrom('documents')
    .select(['id', 'schema_type', 'encounter_id'])
    .where('id', 'in', [...ids])
    .execute();
  return new Map(rows.map((row) => [row.id, { schemaType: row.schema_type, encounterId: row.encounter_id }]));
}
