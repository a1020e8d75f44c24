/** Organization records: the public-API switches operators control per organization. */
import type { Kysely, Selectable, Updateable } from 'kysely';
import { insertWithChange, writeWithChange } from './change-feed.js';
import type { Database, OrganizationsTable } from './schema.js';

export type OrganizationRow = Selectable<OrganizationsTable>;
export type OrganizationPatch = Omit<Updateable<OrganizationsTable>, 'id' | 'state_version' | 'created_at_ms'>;

export async function findOrganization(db: Kysely<Database>, id: string): Promise<OrganizationRow | undefined> {
  return db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Whether the database holds no organization yet (`serve --seed-if-empty` seeds only then). */
export async function hasNoOrganization(db: Kysely<Database>): Promise<boolean> {
  return (await db.selectFrom('organizations').select('id').limit(1).executeTakeFirst()) === undefined;
}

export async function listOrganizations(db: Kysely<Database>): Promise<OrganizationRow[]> {
  return db.selectFrom('organizations').selectAll().orderBy('created_at_ms').orderBy('id').execute();
}

export async function insertOrganization(db: Kysely<Database>, row: OrganizationRow): Promise<void> {
  await insertWithChange(db, 'organization', row);
}

export async function updateOrganization(db: Kysely<Database>, id: string, patch: OrganizationPatch): Promise<boolean> {
  return writeWithChange(db, 'organization', id, async (trx) => {
    const result = await trx
      .updateTable('organizations')
      .set((eb) => ({ ...patch, state_version: eb('state_version', '+', 1) }))
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  });
}

export function enabledRoutes(row: Pick<OrganizationRow, 'enabled_routes'>): string[] {
  return row.enabled_routes === '' ? [] : row.enabled_routes.split(',');
}
