/**
 * The audit ledger's hash chains. Each server process writes a chain of its own: record `seq` n of chain `c` holds
 * `HMAC-SHA256(chain key, prev_hash + "\n" + canonical JSON of its fields)`, where the chain key is derived from the
 * digest keyring (auditChainKey, `key_version` stored with the record) and the fields include the chain id and
 * `seq`. Editing, deleting, reordering or moving a stored record breaks its chain, and without the keyring nobody
 * can compute a replacement. Rows written before migration 002 form the legacy chain: plain SHA-256, verifiable as
 * it always was. The ledger writer and `charthero audit verify` share these functions so they never disagree.
 */
import { createHash, createHmac, type KeyObject } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { AuditEventsTable } from '../store/schema.js';

/** The `prev_hash` of the first record of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** The chain id of the rows written before per-process chains existed. */
export const LEGACY_CHAIN_ID = 'legacy';

export type AuditRow = Selectable<AuditEventsTable>;

/** What a record says, before it is placed in a chain. */
export type AuditFields = Omit<AuditRow, 'id' | 'chain_id' | 'seq' | 'key_version' | 'prev_hash' | 'hash'>;

/** A record placed in its chain: everything stored except the row id (assigned by the database). */
export type ChainedRecord = Omit<AuditRow, 'id'>;

/** What a record says, in the order both encodings list it (frozen: changing it invalidates stored chains). */
const RECORD_FIELDS = [
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

/** The canonical encoding's field order: the record's place in its chain, what it says, how many it stands for. */
export const CHAINED_FIELDS = [
  'chain_id',
  'seq',
  'key_version',
  ...RECORD_FIELDS,
  'count',
] as const satisfies readonly (keyof ChainedRecord)[];

/** The legacy chain hashed exactly what a record says, in that order. */
const LEGACY_FIELDS = RECORD_FIELDS;

/**
 * `JSON.stringify` of an object holding `names` in that order (a missing value as null), byte for byte, built as
 * a string: assembling that object first cost more than the HMAC over it, on every request's record. The keys'
 * JSON is written once, here, rather than for every record (half of what remained), and null and finite numbers,
 * most of a record, are written without a JSON.stringify call each (their text is the same; half again).
 */
function canonicalEncoder(names: readonly string[]): (fields: Readonly<Record<string, unknown>>) => string {
  const keys = names.map((name, i) => `${i === 0 ? '{' : ','}${JSON.stringify(name)}:`);
  return (fields) => {
    let json = '';
    for (let i = 0; i < names.length; i++) json += keys[i]! + jsonValue(fields[names[i]!]);
    return `${json}}`;
  };
}

function jsonValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return JSON.stringify(value);
}

const chainedJson = canonicalEncoder(CHAINED_FIELDS);
const legacyJson = canonicalEncoder(LEGACY_FIELDS);

/** A chain key (auditChainKey), or any key bytes (what a test or a forger would try). */
export type ChainKey = KeyObject | Buffer;

/** HMAC-SHA256 with the chain key over `prevHash + "\n" + canonical JSON`, lowercase hex. */
export function chainHash(chainKey: ChainKey, prevHash: string, record: Omit<ChainedRecord, 'prev_hash' | 'hash'>) {
  return createHmac('sha256', chainKey)
    .update(`${prevHash}\n${chainedJson(record)}`, 'utf8')
    .digest('hex');
}

/** The legacy chain's hash: `sha256(prevHash + "\n" + canonical JSON of the legacy fields)`. */
export function legacyHash(prevHash: string, fields: AuditFields): string {
  return createHash('sha256')
    .update(`${prevHash}\n${legacyJson(fields)}`, 'utf8')
    .digest('hex');
}

/** Where a chain stands: its last record's `seq` and hash (0 and GENESIS_HASH before the first). */
export interface ChainHead {
  seq: number;
  hash: string;
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

/** Places records after `head`, hashing each with the chain key of keyring version `keyVersion`. */
export function chainRecords(
  chainId: string,
  head: ChainHead,
  keyVersion: number,
  chainKey: ChainKey,
  records: readonly AuditFields[],
): ChainedRecord[] {
  let { seq, hash: previous } = head;
  return records.map((fields) => {
    seq += 1;
    // Every field written out (not spread): spreading a record twice cost twice its HMAC.
    const record: ChainedRecord = {
      chain_id: chainId,
      seq,
      key_version: keyVersion,
      at_ms: fields.at_ms,
      event: fields.event,
      request_id: fields.request_id,
      key_id: fields.key_id,
      organization_id: fields.organization_id,
      route_id: fields.route_id,
      method: fields.method,
      status: fields.status,
      reason_code: fields.reason_code,
      resource_ids: fields.resource_ids,
      client_ip: fields.client_ip,
      user_agent: fields.user_agent,
      latency_ms: fields.latency_ms,
      count: fields.count,
      prev_hash: previous,
      hash: '',
    };
    record.hash = chainHash(chainKey, previous, record);
    previous = record.hash;
    return record;
  });
}

export type ChainVerdict =
  | { ok: true; checked: number; head: ChainHead }
  | { ok: false; checked: number; brokenId: number; brokenSeq: number; problem: string };

/**
 * Checks one chain's rows in `seq` order, continuing from `head` (pass the previous page's head to verify a long
 * chain in pages). `keyFor` gives the chain key of a keyring version, or undefined when the keyring lacks it.
 */
export function verifyChain(
  rows: Iterable<AuditRow>,
  keyFor: (version: number) => ChainKey | undefined,
  head: ChainHead = EMPTY_HEAD,
): ChainVerdict {
  return checkRows(
    rows,
    head,
    (row) => Number(row.seq),
    (row, expected) => {
      const seq = Number(row.seq);
      if (seq > expected.seq + 1) {
        return `records ${expected.seq + 1}${seq - 1 > expected.seq + 1 ? `-${seq - 1}` : ''} of the chain are missing`;
      }
      if (seq !== expected.seq + 1) return `seq ${seq} does not follow ${expected.seq}`;
      if (row.prev_hash !== expected.hash) return 'prev_hash does not match the previous record';
      const key = row.key_version === null ? undefined : keyFor(row.key_version);
      if (key === undefined) return `keyring version ${row.key_version} is not in the keyring`;
      if (chainHash(key, row.prev_hash, row) !== row.hash) return 'hash does not match the record contents';
      return null;
    },
  );
}

/** The legacy chain, in id order (the rows' `seq` is their id). */
export function verifyLegacyChain(rows: Iterable<AuditRow>, head: ChainHead = EMPTY_HEAD): ChainVerdict {
  return checkRows(
    rows,
    head,
    (row) => Number(row.id),
    (row, expected) => {
      if (row.prev_hash !== expected.hash) return 'prev_hash does not match the previous record';
      if (legacyHash(row.prev_hash, row) !== row.hash) return 'hash does not match the record contents';
      return null;
    },
  );
}

/** Walks `rows` after `head`; `problemOf` names what is wrong with a row, given the head before it, or null. */
function checkRows(
  rows: Iterable<AuditRow>,
  head: ChainHead,
  positionOf: (row: AuditRow) => number,
  problemOf: (row: AuditRow, expected: ChainHead) => string | null,
): ChainVerdict {
  let expected = head;
  let checked = 0;
  for (const row of rows) {
    const problem = problemOf(row, expected);
    if (problem !== null) {
      return { ok: false, checked, brokenId: Number(row.id), brokenSeq: positionOf(row), problem };
    }
    expected = { seq: positionOf(row), hash: row.hash };
    checked++;
  }
  return { ok: true, checked, head: expected };
}
