/**
 * Checking the stored ledger: every chain from its first record to its last, in pages (constant memory), and
 * optionally against an anchor — heads recorded earlier and kept outside the database — which proves the ledger
 * still extends what was anchored (catching records cut from the end, or history rewritten by someone holding the
 * keyring).
 */
import type { Kysely } from 'kysely';
import { auditChainKey, entryByVersion, type Keyring } from '../access/digest-keyring.js';
import { parseJson } from '../parse-json.js';
import {
  findChainRecord,
  findLegacyHeadHash,
  findLegacyLastRecord,
  findLegacyRecord,
  listAuditChains,
  readChainPage,
  readLegacyPage,
} from '../store/audit-ledger.js';
import type { Database } from '../store/schema.js';
import {
  type AuditRow,
  type ChainHead,
  type ChainKey,
  type ChainVerdict,
  EMPTY_HEAD,
  GENESIS_HASH,
  LEGACY_CHAIN_ID,
  verifyChain,
  verifyLegacyChain,
} from './chain.js';

/** Rows per read while verifying. */
const VERIFY_PAGE = 5000;

/** One chain's head as an anchor records it. */
export interface AnchorHead {
  chain: string;
  seq: number;
  hash: string;
}

export interface Anchor {
  anchored_at: string;
  chains: AnchorHead[];
}

export interface ChainReport {
  chain: string;
  records: number;
  last_seq: number;
  last_hash: string;
  /** The first bad record: its row id, its seq, and what is wrong. */
  broken?: { id: number | null; seq: number; problem: string };
}

/** The current head of every chain (the legacy one when it has records), for `charthero audit anchor`. */
export async function currentHeads(db: Kysely<Database>): Promise<AnchorHead[]> {
  const heads: AnchorHead[] = [];
  const legacy = await findLegacyLastRecord(db);
  if (legacy) heads.push({ chain: LEGACY_CHAIN_ID, seq: Number(legacy.id), hash: legacy.hash });
  for (const chain of await listAuditChains(db)) {
    const record = await findChainRecord(db, chain.chainId, chain.lastSeq);
    if (record) heads.push({ chain: chain.chainId, seq: chain.lastSeq, hash: record.hash });
  }
  return heads;
}

/** Parses an anchor file's text; throws an Error naming what is wrong. */
export function parseAnchor(text: string): Anchor {
  const parsed = parseJson(text, () => new Error('the anchor is not valid JSON'));
  const chains = (parsed as { chains?: unknown })?.chains;
  if (!Array.isArray(chains)) throw new Error('the anchor has no "chains" array');
  const heads = chains.map((raw, index): AnchorHead => {
    const { chain, seq, hash } = (raw ?? {}) as Record<string, unknown>;
    if (typeof chain !== 'string' || chain === '' || !Number.isSafeInteger(seq) || (seq as number) < 1) {
      throw new Error(`anchor chains[${index}] needs a "chain" and a positive integer "seq"`);
    }
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) {
      throw new Error(`anchor chains[${index}].hash must be 64 lowercase hex digits`);
    }
    return { chain, seq: seq as number, hash };
  });
  return { anchored_at: String((parsed as { anchored_at?: unknown }).anchored_at ?? ''), chains: heads };
}

/**
 * Walks one chain page by page (constant memory) with `verify`, which checks a page after the head so far.
 * `onPage` sees each page that verified.
 */
async function walkChain(
  chainId: string,
  readPage: (afterSeq: number) => Promise<AuditRow[]>,
  verify: (rows: AuditRow[], head: ChainHead) => ChainVerdict,
  onPage: (rows: AuditRow[]) => void = () => {},
): Promise<ChainReport> {
  let head: ChainHead = EMPTY_HEAD;
  let records = 0;
  for (;;) {
    const rows = await readPage(head.seq);
    if (rows.length === 0) break;
    const verdict = verify(rows, head);
    if (!verdict.ok) {
      return {
        chain: chainId,
        records: records + verdict.checked,
        last_seq: head.seq,
        last_hash: head.hash,
        broken: { id: verdict.brokenId, seq: verdict.brokenSeq, problem: verdict.problem },
      };
    }
    records += verdict.checked;
    onPage(rows);
    head = verdict.head;
  }
  return { chain: chainId, records, last_seq: head.seq, last_hash: head.hash };
}

function verifyHmacChain(
  db: Kysely<Database>,
  chainId: string,
  keyFor: (version: number) => ChainKey | undefined,
): Promise<ChainReport> {
  return walkChain(
    chainId,
    (afterSeq) => readChainPage(db, chainId, afterSeq, VERIFY_PAGE),
    (rows, head) => verifyChain(rows, keyFor, head),
  );
}

async function verifyLegacy(db: Kysely<Database>): Promise<ChainReport | null> {
  // The recorded head is read first: rows appended meanwhile come after it, so it must appear whatever happens.
  const recordedHead = await findLegacyHeadHash(db);
  let headSeen = recordedHead === undefined || recordedHead === GENESIS_HASH;
  const report = await walkChain(
    LEGACY_CHAIN_ID,
    (afterSeq) => readLegacyPage(db, afterSeq, VERIFY_PAGE),
    verifyLegacyChain,
    (rows) => {
      headSeen ||= rows.some((row) => row.hash === recordedHead);
    },
  );
  if (report.broken) return report;
  if (report.records === 0 && headSeen) return null;
  if (!headSeen) {
    report.broken = {
      id: null,
      seq: report.last_seq + 1,
      problem: 'the recorded legacy chain head is not in the ledger (records removed from the end)',
    };
  }
  return report;
}

/** Whether the ledger still holds the anchored record; a problem to report, or null. */
async function checkAnchored(db: Kysely<Database>, anchored: AnchorHead): Promise<ChainReport['broken'] | null> {
  const record =
    anchored.chain === LEGACY_CHAIN_ID
      ? await findLegacyRecord(db, anchored.seq)
      : await findChainRecord(db, anchored.chain, anchored.seq);
  if (!record) {
    return {
      id: null,
      seq: anchored.seq,
      problem: `the anchored record (seq ${anchored.seq}) is missing (records removed from the end)`,
    };
  }
  if (record.hash !== anchored.hash) {
    return {
      id: Number(record.id),
      seq: anchored.seq,
      problem: `the record differs from the anchor (history rewritten since it was anchored)`,
    };
  }
  return null;
}

/**
 * Verifies every chain (and, with an anchor, that each anchored head is still in its chain). `keyring` is read
 * only when a keyed chain exists; it throws (the caller's error) when it cannot be loaded.
 */
export async function verifyLedger(
  db: Kysely<Database>,
  keyring: () => Keyring,
  anchor?: Anchor,
): Promise<ChainReport[]> {
  const keys = new Map<number, ChainKey | undefined>();
  const keyFor = (version: number) => {
    if (!keys.has(version)) {
      const entry = entryByVersion(keyring(), version);
      keys.set(version, entry && auditChainKey(entry));
    }
    return keys.get(version);
  };
  const reports: ChainReport[] = [];
  const legacy = await verifyLegacy(db);
  if (legacy) reports.push(legacy);
  for (const chain of await listAuditChains(db)) reports.push(await verifyHmacChain(db, chain.chainId, keyFor));
  for (const anchored of anchor?.chains ?? []) {
    let report = reports.find((entry) => entry.chain === anchored.chain);
    if (!report) {
      report = { chain: anchored.chain, records: 0, last_seq: 0, last_hash: GENESIS_HASH };
      reports.push(report);
    }
    // A chain already broken before the anchored record is reported at that first bad record.
    if (report.broken && report.broken.seq <= anchored.seq) continue;
    const problem = await checkAnchored(db, anchored);
    if (problem) report.broken = problem;
  }
  return reports;
}
