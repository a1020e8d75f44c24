/**
 * The audit ledger: records are taken on the request path without waiting and written in batches, each batch in
 * one transaction that extends the hash chain. A failed write keeps the batch for the next attempt (nothing is
 * dropped, nothing is written twice: the transaction either adds the whole batch or nothing), and close() keeps
 * retrying for a while so a short outage at shutdown does not lose records either.
 */
import type { FastifyBaseLogger } from 'fastify';
import { loggableError } from '../error-log.js';
import type { Store } from '../store/db.js';
import { type AuditFields, auditHash } from './chain.js';
import type { AuditEvent, AuditSink } from './events.js';

export interface AuditLedger extends AuditSink {
  close(): Promise<void>;
  /** Records taken but not yet written. */
  pending(): number;
}

export interface AuditLedgerOptions {
  flushIntervalMs?: number;
  batchSize?: number;
  /** How long close() keeps retrying a failing write before giving up (default 10 s). */
  closeTimeoutMs?: number;
  logger?: Pick<FastifyBaseLogger, 'error' | 'warn'>;
}

/** Longest stored user agent. */
export const MAX_USER_AGENT_LENGTH = 512;

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
  };
}

export async function appendAuditBatch(store: Store, batch: readonly AuditFields[]): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    // Writing the head row first takes the write lock (SQLite) or the row lock (PostgreSQL) before reading it, so
    // batches of several instances chain one after the other.
    await trx
      .updateTable('audit_chain_head')
      .set((eb) => ({ last_hash: eb.ref('last_hash') }))
      .where('id', '=', 1)
      .execute();
    const head = await trx
      .selectFrom('audit_chain_head')
      .select('last_hash')
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    let previous = head.last_hash;
    const rows = batch.map((row) => {
      const hash = auditHash(previous, row);
      const chained = { ...row, prev_hash: previous, hash };
      previous = hash;
      return chained;
    });
    // Bounded statement size: SQLite allows a limited number of bound parameters per statement.
    for (let i = 0; i < rows.length; i += 50)
      await trx
        .insertInto('audit_events')
        .values(rows.slice(i, i + 50))
        .execute();
    await trx.updateTable('audit_chain_head').set({ last_hash: previous }).where('id', '=', 1).execute();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createAuditLedger(store: Store, options: AuditLedgerOptions = {}): AuditLedger {
  const batchSize = options.batchSize ?? 500;
  const closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
  let buffer: AuditFields[] = [];
  let writing: Promise<void> | undefined;
  let closing = false;
  let closed = false;
  let failing = false;

  /** Writes batches until the buffer is empty; false when a write failed (the batch stays buffered). */
  async function writeAll(): Promise<boolean> {
    while (buffer.length > 0) {
      const batch = buffer.slice(0, batchSize);
      try {
        await appendAuditBatch(store, batch);
      } catch (error) {
        // Logged once per outage, not once per retry.
        if (!failing) {
          options.logger?.error(
            { error: loggableError(error), pending: buffer.length },
            'audit write failed; will retry',
          );
        }
        failing = true;
        return false;
      }
      if (failing) options.logger?.warn({ pending: buffer.length }, 'audit writes resumed');
      failing = false;
      // Records taken meanwhile were appended behind the batch; only the batch leaves the buffer.
      buffer = buffer.slice(batch.length);
    }
    return true;
  }

  function flushOnce(): Promise<boolean> {
    const current =
      writing ??
      writeAll()
        .then(() => undefined)
        .finally(() => {
          writing = undefined;
        });
    writing = current;
    return current.then(() => buffer.length === 0);
  }

  const timer = setInterval(() => void flushOnce(), options.flushIntervalMs ?? 250);
  timer.unref();

  return {
    record(event) {
      buffer.push(auditFields(event));
      if (closed) {
        options.logger?.error({ pending: buffer.length }, 'audit record taken after the ledger was closed');
        return;
      }
      if (buffer.length >= batchSize && !closing) void flushOnce();
    },
    async flush() {
      // A write already running may have started before the latest records: run one more after it.
      await writing;
      await flushOnce();
    },
    pending: () => buffer.length,
    async close() {
      closing = true;
      clearInterval(timer);
      const deadline = Date.now() + closeTimeoutMs;
      let delay = 50;
      await writing;
      while (!(await flushOnce()) && Date.now() < deadline) {
        await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
        delay = Math.min(delay * 2, 1000);
      }
      closed = true;
      if (buffer.length > 0) {
        options.logger?.error({ pending: buffer.length }, 'audit records could not be written before shutdown');
      }
    },
  };
}
