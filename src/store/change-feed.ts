/** The change feed: every key or organization change is appended here so running instances refresh their caches. */
import type { Insertable, Kysely } from 'kysely';
import type { ChangeFeedTable, Database } from './schema.js';

export type ChangedEntity = ChangeFeedTable['entity'];

export async function recordChange(db: Kysely<Database>, entity: ChangedEntity, entityId: string): Promise<void> {
  await db.insertInto('change_feed').values({ entity, entity_id: entityId, changed_at_ms: Date.now() }).execute();
}

/**
 * Runs `write`, a change to one key or organization, in one transaction with its change-feed row: a committed change
 * always reaches the other instances' caches, a rolled-back one never does. `write` answers whether it changed
 * anything; only then is the row appended.
 */
export async function writeWithChange(
  db: Kysely<Database>,
  entity: ChangedEntity,
  entityId: string,
  write: (trx: Kysely<Database>) => Promise<boolean>,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!(await write(trx))) return false;
    await recordChange(trx, entity, entityId);
    return true;
  });
}

/** Where each changed entity is stored. */
const ENTITY_TABLES = { key: 'api_keys', organization: 'organizations' } as const;

/** Inserts a new key or organization, in one transaction with its change-feed row. */
export async function insertWithChange<Entity extends ChangedEntity>(
  db: Kysely<Database>,
  entity: Entity,
  row: Insertable<Database[(typeof ENTITY_TABLES)[Entity]]> & { id: string },
): Promise<void> {
  await writeWithChange(db, entity, row.id, async (trx) => {
    await trx.insertInto(ENTITY_TABLES[entity]).values(row).execute();
    return true;
  });
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

/** How long change-feed rows are kept: a running instance reads them within a poll interval. */
export const CHANGE_FEED_RETENTION_MS = 60 * 60 * 1000;
/** Rows one DELETE removes at most, so pruning never holds a long lock or writes a long transaction. */
export const CHANGE_FEED_PRUNE_BATCH = 1000;

/**
 * Deletes up to `batch` rows older than `cutoffMs`, oldest first, and returns how many it deleted. The newest row
 * is always kept: an instance starts reading after the highest id (latestChangeId), so that high-water mark must
 * never go back (an empty table would say 0, and a restored database could then hand out ids a running reader's
 * cursor has passed). Readers detect ids pruned before they read them (src/access/access-directory.ts). Safe to run
 * from several instances at once: a DELETE removes only the rows still there.
 */
export async function pruneChanges(
  db: Kysely<Database>,
  cutoffMs: number,
  batch = CHANGE_FEED_PRUNE_BATCH,
): Promise<number> {
  const result = await db
    .deleteFrom('change_feed')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('change_feed')
        .select('id')
        .where('changed_at_ms', '<', cutoffMs)
        .where(
          'id',
          '<',
          eb.selectFrom('change_feed').select((inner) => inner.fn.max('id').as('newest')),
        )
        .orderBy('id')
        .limit(batch),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export interface ChangeFeedPruner {
  stop(): Promise<void>;
}

/** Batches one pruning pass deletes at most; the rest waits for the next pass. */
const PRUNE_BATCHES_PER_PASS = 10;

/**
 * Every server prunes the feed every `intervalMs` (the first pass at start); whichever instance gets there first
 * does the work, the others find nothing left to delete. A failing datastore is retried at the next pass.
 */
export function startChangeFeedPruner(db: Kysely<Database>, intervalMs = 60_000, now = Date.now): ChangeFeedPruner {
  let pass: Promise<void> | undefined;
  const prune = async () => {
    const cutoffMs = now() - CHANGE_FEED_RETENTION_MS;
    for (let batch = 0; batch < PRUNE_BATCHES_PER_PASS; batch++) {
      if ((await pruneChanges(db, cutoffMs)) < CHANGE_FEED_PRUNE_BATCH) return;
    }
  };
  const run = () => {
    pass ??= prune()
      .catch(() => {})
      .finally(() => {
        pass = undefined;
      });
  };
  const timer = setInterval(run, intervalMs);
  timer.unref();
  run();
  return {
    async stop() {
      clearInterval(timer);
      await pass;
    },
  };
}
