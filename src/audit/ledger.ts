/**
 * The audit ledger writer (docs/audit.md): one chain per process, group commit, durable before disclosure.
 *
 * - `commit()` (a 2xx response's records) queues its records and resolves once the transaction holding them has
 *   committed. Records of concurrent requests share that transaction: a write starts at the end of the event-loop
 *   turn in which the first record arrives, and whatever arrives during a write forms the next one. When
 *   no commit succeeds within the datastore timeout the caller gets AuditUnavailableError (and answers 503).
 * - `record()` (refusals, aborts, errors) never waits: such records ride along with the next write, or go every
 *   250 ms. Refusals that name no known key are kept as one record per (client address, route, reason code,
 *   minute) with a count. The backlog of individual records is bounded: past BACKLOG_RECORDS, further refusals
 *   are aggregated the same way (per key as well), which is logged and counted in `aggregated()`.
 * - A write that fails is retried. When its outcome is unknown (a timeout after the commit was sent), the chain's
 *   head is read back before the next write: if the batch is there it counts as written, otherwise it is written
 *   again. Nothing is chained twice, and the unique (chain, seq) index makes a fork impossible.
 */
import { type KeyObject, randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { auditChainKey, type Keyring, type KeyringEntry, newestEntry } from '../access/digest-keyring.js';
import { loggableError } from '../error-log.js';
import { appendChainRecords, findChainHead } from '../store/audit-ledger.js';
import type { Store } from '../store/db.js';
import { type AuditFields, type ChainHead, chainRecords, EMPTY_HEAD } from './chain.js';
import { type AuditEvent, type AuditSink, AuditUnavailableError } from './events.js';

export interface AuditLedger extends AuditSink {
  /** This process's chain id (random, chosen at start). */
  readonly chainId: string;
  close(): Promise<void>;
  /** Records taken but not yet written (individual records plus open aggregates), for metrics. */
  pending(): number;
  /** Refusals folded into an aggregate because the backlog was full. */
  aggregated(): number;
  /** Refusals that could not even be aggregated (every aggregate slot taken during a long outage). */
  dropped(): number;
}

export interface AuditLedgerOptions {
  /** The digest keyring; the chain key of its newest version hashes each batch. */
  keyring: () => Keyring;
  /** How long `commit()` may take before it fails (CHARTHERO_DATASTORE_TIMEOUT_MS). */
  commitTimeoutMs: number;
  /** Background write interval, default 250 ms. */
  flushIntervalMs?: number;
  /** Most records per transaction, default 256. */
  batchSize?: number;
  /** Individual background records kept before refusals are aggregated, default 10 000. */
  backlogRecords?: number;
  /** Aggregates kept at once, default 10 000 (past that, per route and reason only). */
  aggregateSlots?: number;
  /** How long close() keeps retrying a failing write before giving up (default 10 s). */
  closeTimeoutMs?: number;
  logger?: Pick<FastifyBaseLogger, 'error' | 'warn'>;
  now?: () => number;
}

/** Longest stored user agent. */
export const MAX_USER_AGENT_LENGTH = 512;

const MINUTE_MS = 60_000;

/**
 * A key pasted into a header by mistake must not be kept: anything shaped like a key prefix plus body is masked.
 * Control characters are removed so a record can be printed safely.
 */
function scrub(value: string, maxLength: number): string {
  return value
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/ch_sk_[A-Za-z0-9_]*/g, 'ch_sk_[redacted]')
    .slice(0, maxLength);
}

export function auditFields(event: AuditEvent): AuditFields {
  return {
    at_ms: event.atMs,
    event: event.event,
    request_id: scrub(event.requestId, 128),
    key_id: event.keyId,
    organization_id: event.organizationId,
    route_id: event.routeId,
    method: event.method,
    status: event.status,
    reason_code: event.reasonCode,
    resource_ids: JSON.stringify(event.resourceIds),
    client_ip: event.clientIp,
    user_agent: event.userAgent === null ? null : scrub(event.userAgent, MAX_USER_AGENT_LENGTH),
    latency_ms: Math.round(event.latencyMs * 1000) / 1000,
    count: 1,
  };
}

/** A random chain id: 16 bytes of CSPRNG output, hex, with a prefix naming what it is. */
function newChainId(): string {
  return `chn_${randomBytes(16).toString('hex')}`;
}

/** A write that failed after it may have committed: checked against the chain's head before the next write. */
interface Uncertain {
  head: ChainHead;
  waiters: Waiter[];
  background: AuditFields[];
}

interface Waiter {
  records: AuditFields[];
  resolve(): void;
  reject(error: Error): void;
  settled: boolean;
}

interface Aggregate {
  fields: AuditFields;
  minute: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createAuditLedger(store: Store, options: AuditLedgerOptions): AuditLedger {
  const chainId = newChainId();
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 256;
  const backlogLimit = options.backlogRecords ?? 10_000;
  const aggregateSlots = options.aggregateSlots ?? 10_000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
  const logger = options.logger;

  const durable: Waiter[] = [];
  let background: AuditFields[] = [];
  const aggregates = new Map<string, Aggregate>();
  /** What this process believes its chain's head is; undefined = unknown, read it back before writing. */
  let head: ChainHead | undefined = EMPTY_HEAD;
  let uncertain: Uncertain | undefined;
  let writing: Promise<void> | undefined;
  let wantBackground = false;
  let groupScheduled = false;
  let closed = false;
  let failing = false;
  let aggregatedCount = 0;
  let droppedCount = 0;
  let lastOverflowLog = 0;

  function minuteOf(atMs: number): number {
    return Math.floor(atMs / MINUTE_MS);
  }

  /**
   * Adds a refusal to its aggregate; `byKey` also keeps the key apart (refusals of known keys, past the bound).
   * `fields` is the caller's fresh record: a new aggregate keeps it as its own.
   */
  function aggregate(fields: AuditFields, byKey: boolean): void {
    const minute = minuteOf(fields.at_ms);
    const parts = [fields.route_id, fields.reason_code, minute];
    let id = JSON.stringify([fields.client_ip, byKey ? fields.key_id : null, ...parts]);
    let existing = aggregates.get(id);
    if (existing === undefined && aggregates.size >= aggregateSlots) {
      // Every slot taken (a flood from many addresses): one aggregate per route, reason and minute.
      id = JSON.stringify(['*', ...parts]);
      existing = aggregates.get(id);
      if (existing === undefined && aggregates.size >= aggregateSlots + 1000) {
        droppedCount++;
        reportOverflow('audit aggregates full; a refusal was not recorded');
        return;
      }
      fields.client_ip = null;
      fields.key_id = null;
      fields.organization_id = null;
      fields.user_agent = null;
    }
    if (existing) existing.fields.count += 1;
    else aggregates.set(id, { fields, minute });
  }

  function reportOverflow(message: string): void {
    // A log line per 10 s at most, however long the flood lasts; the counters say how much.
    if (now() - lastOverflowLog < 10_000) return;
    lastOverflowLog = now();
    logger?.error(
      { pending: background.length, aggregates: aggregates.size, aggregated: aggregatedCount, dropped: droppedCount },
      message,
    );
  }

  /** Moves aggregates of past minutes (all of them with `all`) into the background queue. */
  function closeAggregates(all: boolean): void {
    const current = minuteOf(now());
    for (const [id, entry] of aggregates) {
      if (all || entry.minute < current) {
        background.push(entry.fields);
        aggregates.delete(id);
      }
    }
  }

  /** Derived once per keyring entry (a reload brings new entry objects), not once per write. */
  const chainKeys = new WeakMap<KeyringEntry, KeyObject>();
  function chainKey(): { version: number; key: KeyObject } {
    const entry = newestEntry(options.keyring());
    let key = chainKeys.get(entry);
    if (key === undefined) {
      key = auditChainKey(entry);
      chainKeys.set(entry, key);
    }
    return { version: entry.version, key };
  }

  /** Settles the outcome of an uncertain write from the head stored in the database. */
  async function resolveUncertain(): Promise<void> {
    const stored = (await findChainHead(store.db, chainId)) ?? EMPTY_HEAD;
    const pending = uncertain;
    uncertain = undefined;
    if (pending && stored.seq === pending.head.seq && stored.hash === pending.head.hash) {
      for (const waiter of pending.waiters) settle(waiter);
    } else if (pending) {
      durable.unshift(...pending.waiters.filter((waiter) => !waiter.settled));
      background = [...pending.background, ...background];
    }
    head = stored;
  }

  function settle(waiter: Waiter, error?: Error): void {
    if (waiter.settled) return;
    waiter.settled = true;
    if (error) waiter.reject(error);
    else waiter.resolve();
  }

  function reportFailure(error: unknown): void {
    // Logged once per outage, not once per retry.
    if (!failing) logger?.error({ error: loggableError(error), pending: pending() }, 'audit write failed; will retry');
    failing = true;
  }

  /** Whether a disclosure is still waiting for its commit (queued, or in a write whose outcome is unknown). */
  function disclosureWaiting(): boolean {
    return durable.some((waiter) => !waiter.settled) || (uncertain?.waiters.some((waiter) => !waiter.settled) ?? false);
  }

  /** One transaction: waiting disclosures first, then background records up to the batch size. */
  async function writeOnce(): Promise<boolean> {
    if (head === undefined) {
      try {
        await resolveUncertain();
      } catch (error) {
        reportFailure(error);
        return false;
      }
    }
    const waiters: Waiter[] = [];
    let count = 0;
    while (durable.length > 0 && (waiters.length === 0 || count + durable[0]!.records.length <= batchSize)) {
      const waiter = durable.shift()!;
      if (waiter.settled) continue; // Timed out: its request already answered 503, so it disclosed nothing.
      waiters.push(waiter);
      count += waiter.records.length;
    }
    const ride = background.slice(0, Math.max(0, batchSize - count));
    background = background.slice(ride.length);
    const records = [...waiters.flatMap((waiter) => waiter.records), ...ride];
    if (records.length === 0) return true;
    let planned: ChainHead | undefined;
    try {
      const { version, key } = chainKey();
      const rows = chainRecords(chainId, head!, version, key, records);
      const last = rows[rows.length - 1]!;
      planned = { seq: last.seq, hash: last.hash };
      await appendChainRecords(store.db, rows);
      head = planned;
      for (const waiter of waiters) settle(waiter);
      if (failing) logger?.warn({ pending: pending() }, 'audit writes resumed');
      failing = false;
      return true;
    } catch (error) {
      reportFailure(error);
      head = undefined;
      uncertain = { head: planned ?? { seq: -1, hash: '' }, waiters, background: ride };
      return false;
    }
  }

  /** Writes until nothing is due; disclosures are retried (briefly backing off) until their deadline. */
  async function drain(): Promise<void> {
    let delay = 5;
    for (;;) {
      const due = disclosureWaiting() || (wantBackground && background.length > 0) || uncertain !== undefined;
      if (!due) break;
      if (await writeOnce()) {
        delay = 5;
        continue;
      }
      if (!disclosureWaiting() || closed) break;
      await sleep(delay);
      delay = Math.min(delay * 2, 100);
    }
    wantBackground = false;
  }

  /** Starts the write loop, or joins the one running (which then also writes background records if asked). */
  function startWrite(includeBackground: boolean): Promise<void> {
    wantBackground ||= includeBackground;
    writing ??= drain().finally(() => {
      writing = undefined;
      // Records that arrived after the loop's last look.
      if (durable.some((waiter) => !waiter.settled)) void startWrite(false);
    });
    return writing;
  }

  function pending(): number {
    const waiting = durable.reduce((total, waiter) => total + (waiter.settled ? 0 : waiter.records.length), 0);
    return waiting + background.length + aggregates.size + (uncertain?.background.length ?? 0);
  }

  const timer = setInterval(() => {
    closeAggregates(false);
    if (background.length > 0 || uncertain) void startWrite(true);
  }, options.flushIntervalMs ?? 250);
  timer.unref();

  return {
    chainId,
    commit(events) {
      if (closed) return Promise.reject(new AuditUnavailableError('the audit ledger is closed'));
      return new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => {
          settle(waiter, new AuditUnavailableError('audit records not committed in time'));
        }, options.commitTimeoutMs);
        const waiter: Waiter = {
          records: events.map(auditFields),
          resolve: () => {
            clearTimeout(deadline);
            resolve();
          },
          reject: (error) => {
            clearTimeout(deadline);
            reject(error);
          },
          settled: false,
        };
        durable.push(waiter);
        if (writing) return; // The running write loop takes it next.
        const waitingRecords = durable.reduce((total, entry) => total + entry.records.length, 0);
        if (waitingRecords >= batchSize) void startWrite(false);
        else if (!groupScheduled) {
          // The write starts once this turn of the event loop is over, so responses finishing together share it;
          // whatever arrives while it runs forms the next one (no fixed delay added to any response).
          groupScheduled = true;
          setImmediate(() => {
            groupScheduled = false;
            void startWrite(false);
          });
        }
      });
    },
    record(event) {
      const fields = auditFields(event);
      if (closed) logger?.error({ pending: pending() }, 'audit record taken after the ledger was closed');
      if (fields.key_id === null) aggregate(fields, false);
      else if (background.length >= backlogLimit) {
        aggregatedCount++;
        aggregate(fields, true);
        reportOverflow('audit backlog full; aggregating refusals per address, key, route, reason and minute');
      } else background.push(fields);
      if (background.length >= batchSize && !closed) void startWrite(true);
    },
    async flush() {
      closeAggregates(true);
      // A write already running may have started before the latest records: run one more after it.
      await writing;
      await startWrite(true);
    },
    pending,
    aggregated: () => aggregatedCount,
    dropped: () => droppedCount,
    async close() {
      clearInterval(timer);
      closeAggregates(true);
      const deadline = Date.now() + closeTimeoutMs;
      let delay = 50;
      await writing;
      while (!(await startWrite(true).then(() => pending() === 0)) && Date.now() < deadline) {
        await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
        delay = Math.min(delay * 2, 1000);
      }
      closed = true;
      for (const waiter of durable) settle(waiter, new AuditUnavailableError('the audit ledger is closed'));
      if (pending() > 0) logger?.error({ pending: pending() }, 'audit records could not be written before shutdown');
    },
  };
}
