/**
 * The audit ledger: records are taken on the request path without waiting and written in batches, each batch in
 * one transaction that extends the hash chain. A failed write keeps the batch for the next attempt, and close()
 * writes everything before the process exits.
 */
import type { FastifyBaseLogger } from 'fastify';
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
  logger?: Pick<FastifyBaseLogger, 'error'>;
}

function fields(event: AuditEvent): AuditFields {
  return {
    at_ms: event.atMs,
    event: event.event,
    request_id: event.requestId,
    key_id: event.keyId,
    organization_id: event.organizationId,
    route_id: event.routeId,
    method: event.method,
    status: event.status,
    reason_code: event.reasonCode,
    resource_ids: JSON.stringify(event.resourceIds),
    client_ip: event.clientIp,
    user_agent: event.userAgent === null ? null : event.userAgent.slice(0, 512),
    latency_ms: Math.round(event.latencyMs * 1000) / 1000,
  };
}

export async function appendAuditBatch(store: Store, batch: readonly AuditFields[]): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    // Writing the head row first takes the write lock (SQLite) or the row lock (PostgreSQL) before reading it.
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

export function createAuditLedger(store: Store, options: AuditLedgerOptions = {}): AuditLedger {
  const batchSize = options.batchSize ?? 500;
  let buffer: AuditFields[] = [];
  let writing: Promise<void> | undefined;
  let closed = false;

  async function writeAll(): Promise<void> {
    while (buffer.length > 0) {
      const batch = buffer.slice(0, batchSize);
      try {
        await appendAuditBatch(store, batch);
      } catch (error) {
        options.logger?.error({ err: error, pending: buffer.length }, 'audit write failed; will retry');
        return;
      }
      buffer = buffer.slice(batch.length);
    }
  }

  function flush(): Promise<void> {
    writing ??= writeAll().finally(() => {
      writing = undefined;
    });
    return writing;
  }

  const timer = setInterval(() => void flush(), options.flushIntervalMs ?? 250);
  timer.unref();

  return {
    record(event) {
      buffer.push(fields(event));
      if (buffer.length >= batchSize && !closed) void flush();
    },
    async flush() {
      await writing;
      await flush();
    },
    pending: () => buffer.length,
    async close() {
      closed = true;
      clearInterval(timer);
      await writing;
      await flush();
      if (buffer.length > 0) {
        options.logger?.error({ pending: buffer.length }, 'audit records could not be written before shutdown');
      }
    },
  };
}
