/** The change feed: every key or organization change is appended here so running instances refresh their caches. */
import type { Kysely } from 'kysely';
import type { ChangeFeedTable, Database } from './schema.js';

export type ChangedEntity = ChangeFeedTable['entity'];

export async function recordChange(db: Kysely<Database>, entity: ChangedEntity, entityId: string): Promise<void> {
  await db.insertInto('change_feed').values({ entity, entity_id: entityId, changed_at_ms: Date.now() }).execute();
}

export async function changesSince(db: Kysely<Database>, afterId: number, limit = 1000) {
  return db
    .selectFrom('change_feed')
    .select(['id', 'entity', 'entity_id'])
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function latestChangeId(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('change_feed')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  return Number(row?.id ?? 0);
}
