/** The audit ledger's SQL: appending a chain's records, and reading chains, pages and exports back. */
import type { Kysely, Transaction } from 'kysely';
import { compiledQuery, PLACEHOLDER } from './compiled.js';
import type { Database } from './schema.js';

type Reader = Kysely<Database> | Transaction<Database>;

/** The chain id of the rows written before per-process chains (migration 002). */
const LEGACY = 'legacy';

/** Rows per INSERT statement: SQLite allows a limited number of bound parameters per statement. */
const INSERT_ROWS = 50;

export type AuditInsert = Omit<Database['audit_events'], 'id'> & { id?: never };

/** The last record of a chain (highest seq), or undefined before its first. */
export async function findChainHead(db: Reader, chainId: string): Promise<{ seq: number; hash: string } | undefined> {
  const row = await db
    .selectFrom('audit_events')
    .select(['seq', 'hash'])
    .where('chain_id', '=', chainId)
    // Repeats the partial index's condition so both databases use it.
    .where('chain_id', '<>', LEGACY)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && { seq: Number(row.seq), hash: row.hash };
}

/** One placeholder per stored column; its key order is the order each row's values are bound in. */
const INSERT_ROW: Record<Exclude<keyof AuditInsert, 'id'>, string> = {
  chain_id: PLACEHOLDER,
  seq: PLACEHOLDER,
  key_version: PLACEHOLDER,
  at_ms: PLACEHOLDER,
  event: PLACEHOLDER,
  request_id: PLACEHOLDER,
  key_id: PLACEHOLDER,
  organization_id: PLACEHOLDER,
  route_id: PLACEHOLDER,
  method: PLACEHOLDER,
  status: PLACEHOLDER,
  reason_code: PLACEHOLDER,
  resource_ids: PLACEHOLDER,
  client_ip: PLACEHOLDER,
  user_agent: PLACEHOLDER,
  latency_ms: PLACEHOLDER,
  count: PLACEHOLDER,
  prev_hash: PLACEHOLDER,
  hash: PLACEHOLDER,
};
const INSERT_COLUMNS = Object.keys(INSERT_ROW) as (keyof typeof INSERT_ROW)[];

/** The INSERT of `rows` rows, compiled once per row count (a batch is built on every disclosure's hot path). */
const insertRows = compiledQuery<never>(
  (db, rows) =>
    db.insertInto('audit_events').values(Array.from({ length: rows }, () => INSERT_ROW as unknown as AuditInsert)),
  (parameters) => parameters.length / INSERT_COLUMNS.length,
);

function insertParameters(rows: readonly AuditInsert[]): unknown[] {
  const parameters: unknown[] = [];
  for (const row of rows) for (const column of INSERT_COLUMNS) parameters.push(row[column]);
  return parameters;
}

/**
 * Appends a chain's next records, all or none: one INSERT statement (atomic by itself, and one round trip on the
 * hot path of every disclosure) when they fit in one, else one transaction. The writer knows its chain's head,
 * so nothing is read first: the unique (chain, seq) index refuses a row that is already there, which keeps a
 * chain from ever forking.
 */
export async function appendChainRecords(db: Kysely<Database>, rows: readonly AuditInsert[]): Promise<void> {
  if (rows.length <= INSERT_ROWS) {
    await insertRows.rows(db, insertParameters(rows));
    return;
  }
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += INSERT_ROWS) {
      await insertRows.rows(trx, insertParameters(rows.slice(i, i + INSERT_ROWS)));
    }
  });
}

export interface AuditChainSummary {
  chainId: string;
  records: number;
  lastSeq: number;
}

/** Every per-process chain (not the legacy one), with its record count and highest seq. */
export async function listAuditChains(db: Reader): Promise<AuditChainSummary[]> {
  const rows = await db
    .selectFrom('audit_events')
    .select((eb) => ['chain_id', eb.fn.countAll<number>().as('records'), eb.fn.max('seq').as('last_seq')])
    .where('chain_id', '<>', LEGACY)
    .groupBy('chain_id')
    .orderBy('chain_id')
    .execute();
  return rows.map((row) => ({ chainId: row.chain_id, records: Number(row.records), lastSeq: Number(row.last_seq) }));
}

/** A page of one chain in seq order, after `afterSeq`. */
export function readChainPage(db: Reader, chainId: string, afterSeq: number, limit: number) {
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('chain_id', '=', chainId)
    .where('chain_id', '<>', LEGACY)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

/** The record at one position of a chain (what an anchor names). */
export function findChainRecord(db: Reader, chainId: string, seq: number) {
  return db
    .selectFrom('audit_events')
    .select(['id', 'seq', 'hash'])
    .where('chain_id', '=', chainId)
    .where('chain_id', '<>', LEGACY)
    .where('seq', '=', seq)
    .executeTakeFirst();
}

/** A page of the legacy chain in id order, after `afterId`. */
export function readLegacyPage(db: Reader, afterId: number, limit: number) {
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('chain_id', '=', LEGACY)
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** The legacy chain's recorded head hash (migration 001's single row), or undefined. */
export async function findLegacyHeadHash(db: Reader): Promise<string | undefined> {
  const row = await db.selectFrom('audit_chain_head').select('last_hash').where('id', '=', 1).executeTakeFirst();
  return row?.last_hash;
}

/** The legacy chain's last row (highest id), or undefined when it has none. */
export function findLegacyLastRecord(db: Reader) {
  return db
    .selectFrom('audit_events')
    .select(['id', 'hash'])
    .where('chain_id', '=', LEGACY)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** One legacy row by id (what an anchor of the legacy chain names). */
export function findLegacyRecord(db: Reader, id: number) {
  return db
    .selectFrom('audit_events')
    .select(['id', 'hash'])
    .where('chain_id', '=', LEGACY)
    .where('id', '=', id)
    .executeTakeFirst();
}

export interface AuditListFilter {
  organizationId?: string;
  sinceMs?: number | null;
  limit: number;
}

/** The newest records first (every chain), for `charthero audit list`. */
export function listAuditEvents(db: Reader, filter: AuditListFilter) {
  let query = db.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.organizationId !== undefined) query = query.where('organization_id', '=', filter.organizationId);
  if (filter.sinceMs != null) query = query.where('at_ms', '>=', filter.sinceMs);
  return query.execute();
}

export interface AuditExportFilter {
  sinceMs: number | null;
  untilMs: number | null;
  organizationId: string | null;
}

/** One page of an export in (at_ms, id) order, strictly after `after` (a keyset cursor: flat cost at any depth). */
export function readExportPage(
  db: Reader,
  filter: AuditExportFilter,
  after: { atMs: number; id: number } | null,
  limit: number,
) {
  let query = db.selectFrom('audit_events').selectAll().orderBy('at_ms').orderBy('id').limit(limit);
  if (filter.sinceMs !== null) query = query.where('at_ms', '>=', filter.sinceMs);
  if (filter.untilMs !== null) query = query.where('at_ms', '<', filter.untilMs);
  if (filter.organizationId !== null) query = query.where('organization_id', '=', filter.organizationId);
  // A row-value comparison, which both databases answer from the (at_ms, id) index; the equivalent OR is a scan.
  if (after !== null) query = query.where((eb) => eb(eb.refTuple('at_ms', 'id'), '>', eb.tuple(after.atMs, after.id)));
  return query.execute();
}
