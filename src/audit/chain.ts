/**
 * The audit ledger's hash chain: each row's hash covers the previous row's hash and the row's own fields, so
 * editing, deleting or reordering a stored row breaks every later link. The ledger writer and `charthero audit
 * verify` share these functions so they can never disagree on the encoding.
 */
import { createHash } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { AuditEventsTable } from '../store/schema.js';

/** The `prev_hash` of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

/** Every stored column except the row id (assigned by the database) and the two hash columns. */
export type AuditFields = Omit<Selectable<AuditEventsTable>, 'id' | 'prev_hash' | 'hash'>;

/** The fixed field order of the canonical encoding; changing it invalidates every stored chain. */
export const AUDIT_HASHED_FIELDS = [
  'at_ms',
  'event',
  'request_id',
  'key_id',
  'organization_id',
  'route_id',
  'method',
  'status',
  'reason_code',
  'resource_ids',
  'client_ip',
  'user_agent',
  'latency_ms',
] as const satisfies readonly (keyof AuditFields)[];

/** Canonical JSON: an object with exactly the hashed fields, in AUDIT_HASHED_FIELDS order, missing ones as null. */
export function canonicalAuditJson(fields: AuditFields): string {
  const ordered: Record<string, unknown> = {};
  for (const name of AUDIT_HASHED_FIELDS) ordered[name] = fields[name] ?? null;
  return JSON.stringify(ordered);
}

/** `sha256(prevHash + "\n" + canonical JSON of the fields)`, lowercase hex. */
export function auditHash(prevHash: string, fields: AuditFields): string {
  return createHash('sha256')
    .update(`${prevHash}\n${canonicalAuditJson(fields)}`, 'utf8')
    .digest('hex');
}

export type ChainRow = AuditFields & { id: number; prev_hash: string; hash: string };

export type ChainVerdict =
  | { ok: true; checked: number; lastHash: string }
  | { ok: false; checked: number; brokenId: number; problem: string };

/**
 * Checks rows in id order. `previousHash` lets a caller verify a long ledger in pages: pass the `lastHash` of the
 * previous page. Only the tail can be cut off undetected (anchor `lastHash` externally to catch that too).
 */
export function verifyChain(rows: Iterable<ChainRow>, previousHash: string = GENESIS_HASH): ChainVerdict {
  let expectedPrev = previousHash;
  let checked = 0;
  for (const row of rows) {
    if (row.prev_hash !== expectedPrev) {
      return { ok: false, checked, brokenId: row.id, problem: 'prev_hash does not match the previous row' };
    }
    if (auditHash(row.prev_hash, row) !== row.hash) {
      return { ok: false, checked, brokenId: row.id, problem: 'hash does not match the row contents' };
    }
    expectedPrev = row.hash;
    checked++;
  }
  return { ok: true, checked, lastHash: expectedPrev };
}
