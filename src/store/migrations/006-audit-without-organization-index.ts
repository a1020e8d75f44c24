/**
 * Drops the audit ledger's (organization_id, at_ms) index. Every disclosure's record paid for it at commit (its
 * B-tree insert and a page of the index rewritten per group commit: 4 to 8 % of get_encounter's server CPU on
 * SQLite, bench/README.md), while only `charthero audit list --org` and `audit export --org` read it. Those now
 * walk the id order or the (at_ms, id) index and skip other organizations' rows: the same records, somewhat
 * slower (measured at 2 million records in bench/README.md).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_organization').ifExists().execute();
}
