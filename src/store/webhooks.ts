/** Webhook endpoints, the event outbox and the delivery queue (docs/webhooks.md). */
import type { Kysely, Selectable } from 'kysely';
import type { Store } from './db.js';
import type { Database, WebhookDeliveriesTable, WebhookEndpointsTable, WebhookEventsTable } from './schema.js';

export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>;
export type WebhookEventRow = Selectable<WebhookEventsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type EndpointStatus = 'enabled' | 'disabled';
export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

// ---- endpoints -------------------------------------------------------------------------------------------------

export async function insertWebhookEndpoint(db: Kysely<Database>, row: WebhookEndpointRow): Promise<void> {
  await db.insertInto('webhook_endpoints').values(row).execute();
}

export async function findWebhookEndpoint(db: Kysely<Database>, id: string): Promise<WebhookEndpointRow | undefined> {
  return db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface EndpointSummary {
  id: string;
  organization_id: string;
  url: string;
  description: string;
  status: string;
  created_at_ms: number;
  previous_secret_expires_at_ms: number | null;
  last_delivery: { state: string; status_code: number | null; error_class: string | null; at_ms: number } | null;
  /** Failed attempts since the endpoint's last delivered one. */
  consecutive_failures: number;
}

export async function listWebhookEndpoints(db: Kysely<Database>, organizationId?: string): Promise<EndpointSummary[]> {
  let query = db
    .selectFrom('webhook_endpoints')
    .select([
      'id',
      'organization_id',
      'url',
      'description',
      'status',
      'created_at_ms',
      'previous_secret_expires_at_ms',
    ]);
  if (organizationId !== undefined) query = query.where('organization_id', '=', organizationId);
  const endpoints = await query.orderBy('created_at_ms').orderBy('id').execute();
  const summaries: EndpointSummary[] = [];
  for (const endpoint of endpoints) {
    const last = await db
      .selectFrom('webhook_deliveries')
      .select(['state', 'last_status_code', 'last_error_class', 'last_attempt_at_ms'])
      .where('endpoint_id', '=', endpoint.id)
      .where('last_attempt_at_ms', 'is not', null)
      .orderBy('last_attempt_at_ms', 'desc')
      .limit(1)
      .executeTakeFirst();
    const delivered = await db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.max('delivered_at_ms').as('at'))
      .where('endpoint_id', '=', endpoint.id)
      .where('state', '=', 'delivered')
      .executeTakeFirst();
    const failures = await db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.sum<number>('attempts').as('n'))
      .where('endpoint_id', '=', endpoint.id)
      .where('state', '<>', 'delivered')
      .where('last_attempt_at_ms', '>', Number(delivered?.at ?? 0))
      .executeTakeFirst();
    summaries.push({
      ...endpoint,
      last_delivery: last
        ? {
            state: last.state,
            status_code: last.last_status_code,
            error_class: last.last_error_class,
            at_ms: last.last_attempt_at_ms!,
          }
        : null,
      consecutive_failures: Number(failures?.n ?? 0),
    });
  }
  return summaries;
}

export async function setWebhookEndpointStatus(
  db: Kysely<Database>,
  id: string,
  status: EndpointStatus,
  nowMs: number,
): Promise<boolean> {
  const result = await db
    .updateTable('webhook_endpoints')
    .set({ status, updated_at_ms: nowMs })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Removes an endpoint, its secrets and its deliveries (the events stay: other endpoints may share them). */
export async function deleteWebhookEndpoint(db: Kysely<Database>, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).execute();
    const result = await trx.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  });
}

export async function replaceWebhookEndpointSecret(
  db: Kysely<Database>,
  id: string,
  change: { secretSealed: string; previousSealed: string | null; previousExpiresAtMs: number | null; nowMs: number },
): Promise<boolean> {
  const result = await db
    .updateTable('webhook_endpoints')
    .set({
      secret_sealed: change.secretSealed,
      previous_secret_sealed: change.previousSealed,
      previous_secret_expires_at_ms: change.previousExpiresAtMs,
      updated_at_ms: change.nowMs,
    })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

// ---- the outbox ------------------------------------------------------------------------------------------------

/** Takes (and removes) up to `limit` transcripts the open transaction finalized. */
export async function takeFinalizedTranscripts(db: Kysely<Database>, limit: number): Promise<string[]> {
  const rows = await db
    .deleteFrom('webhook_finalized_transcripts')
    .where('document_id', 'in', (eb) =>
      eb.selectFrom('webhook_finalized_transcripts').select('document_id').orderBy('document_id').limit(limit),
    )
    .returning('document_id')
    .execute();
  return rows.map((row) => row.document_id);
}

export interface ReadyTranscript {
  documentId: string;
  encounterId: string;
  organizationId: string;
  finalizedAtMs: number;
}

/**
 * Of these documents, the ones a partner could read right now with a finalized transcript: an available ambient
 * transcript document of an available clinical encounter of an allowlisted organization.
 */
export async function readyTranscripts(
  db: Kysely<Database>,
  documentIds: readonly string[],
): Promise<ReadyTranscript[]> {
  if (documentIds.length === 0) return [];
  const rows = await db
    .selectFrom('transcripts as t')
    .innerJoin('documents as d', 'd.id', 't.document_id')
    .innerJoin('encounters as e', 'e.id', 'd.encounter_id')
    .innerJoin('organizations as o', 'o.id', 'e.organization_id')
    .select(['d.id as documentId', 'e.id as encounterId', 'o.id as organizationId', 't.finalized_at_ms'])
    .where('t.document_id', 'in', [...documentIds])
    .where('t.finalized_at_ms', 'is not', null)
    .where('d.schema_type', '=', 'ambient_transcript')
    .where('d.available', '=', 1)
    .where('e.origin', '=', 'clinical')
    .where('e.available', '=', 1)
    .where('o.allowlisted', '=', 1)
    .orderBy('d.id')
    .execute();
  return rows.map((row) => ({
    documentId: row.documentId,
    encounterId: row.encounterId,
    organizationId: row.organizationId,
    finalizedAtMs: row.finalized_at_ms!,
  }));
}

/** Enabled endpoint ids by organization. */
export async function enabledEndpointIds(
  db: Kysely<Database>,
  organizationIds: readonly string[],
): Promise<Map<string, string[]>> {
  const byOrganization = new Map<string, string[]>();
  if (organizationIds.length === 0) return byOrganization;
  const rows = await db
    .selectFrom('webhook_endpoints')
    .select(['id', 'organization_id'])
    .where('organization_id', 'in', [...new Set(organizationIds)])
    .where('status', '=', 'enabled')
    .orderBy('id')
    .execute();
  for (const row of rows) {
    byOrganization.set(row.organization_id, [...(byOrganization.get(row.organization_id) ?? []), row.id]);
  }
  return byOrganization;
}

export interface NewDelivery {
  id: string;
  eventId: string;
  endpointId: string;
  nowMs: number;
}

function deliveryRow(delivery: NewDelivery): WebhookDeliveryRow {
  return {
    id: delivery.id,
    event_id: delivery.eventId,
    endpoint_id: delivery.endpointId,
    state: 'pending',
    attempts: 0,
    next_attempt_at_ms: delivery.nowMs,
    lease_owner: null,
    lease_until_ms: null,
    last_attempt_at_ms: null,
    last_status_code: null,
    last_error_class: null,
    last_latency_ms: null,
    delivered_at_ms: null,
    created_at_ms: delivery.nowMs,
  };
}

// Parameters per statement stay well under SQLite's 32 766 and PostgreSQL's 65 535.
const INSERT_ROWS = 500;

export async function insertWebhookEvents(
  db: Kysely<Database>,
  events: readonly WebhookEventRow[],
  deliveries: readonly NewDelivery[],
): Promise<void> {
  for (let i = 0; i < events.length; i += INSERT_ROWS) {
    await db
      .insertInto('webhook_events')
      .values(events.slice(i, i + INSERT_ROWS))
      .execute();
  }
  for (let i = 0; i < deliveries.length; i += INSERT_ROWS) {
    await db
      .insertInto('webhook_deliveries')
      .values(deliveries.slice(i, i + INSERT_ROWS).map(deliveryRow))
      .execute();
  }
}

// ---- the delivery queue ----------------------------------------------------------------------------------------

/** One claimed attempt: everything the worker needs to send it. */
export interface ClaimedDelivery {
  id: string;
  eventId: string;
  endpointId: string;
  /** Attempts including this one. */
  attempt: number;
  body: string;
  url: string;
  secretSealed: string;
  previousSecretSealed: string | null;
  previousSecretExpiresAtMs: number | null;
}

/**
 * Leases up to `limit` due deliveries to `owner` until `leaseUntilMs` and counts the attempt. A due delivery is
 * pending, of an enabled endpoint, past its next attempt time and not leased (or its lease ran out: its instance
 * died mid-attempt). PostgreSQL skips rows other instances are claiming (FOR UPDATE SKIP LOCKED); SQLite has one
 * writer at a time, and the UPDATE re-checks the lease, so two instances never hold the same row.
 */
export async function claimDueDeliveries(
  store: Store,
  claim: { owner: string; nowMs: number; leaseUntilMs: number; limit: number },
): Promise<ClaimedDelivery[]> {
  const { db } = store;
  const due = (trx: Kysely<Database>) =>
    trx
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
      .select('d.id')
      .where('d.state', '=', 'pending')
      .where('d.next_attempt_at_ms', '<=', claim.nowMs)
      .where((eb) => eb.or([eb('d.lease_until_ms', 'is', null), eb('d.lease_until_ms', '<', claim.nowMs)]))
      .where('w.status', '=', 'enabled')
      .orderBy('d.next_attempt_at_ms')
      .limit(claim.limit);
  // Taking the lease is what counts the attempt, in both dialects.
  const lease = (trx: Kysely<Database>, candidates: string[]) =>
    trx
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        lease_owner: claim.owner,
        lease_until_ms: claim.leaseUntilMs,
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', 'in', candidates);

  let ids: string[];
  if (store.dialect === 'postgres') {
    ids = await db.transaction().execute(async (trx) => {
      const locked = (await due(trx).forUpdate('d').skipLocked().execute()).map((row) => row.id);
      if (locked.length === 0) return [];
      const updated = await lease(trx, locked).returning('id').execute();
      return updated.map((row) => row.id);
    });
  } else {
    // Read first (WAL readers never wait), so an idle poll never takes the write lock.
    const candidates = (await due(db).execute()).map((row) => row.id);
    if (candidates.length === 0) return [];
    const updated = await lease(db, candidates)
      .where('state', '=', 'pending')
      .where((eb) => eb.or([eb('lease_until_ms', 'is', null), eb('lease_until_ms', '<', claim.nowMs)]))
      .returning('id')
      .execute();
    ids = updated.map((row) => row.id);
  }
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
    .select([
      'd.id',
      'd.event_id',
      'd.endpoint_id',
      'd.attempts',
      'e.body',
      'w.url',
      'w.secret_sealed',
      'w.previous_secret_sealed',
      'w.previous_secret_expires_at_ms',
    ])
    .where('d.id', 'in', ids)
    .where('d.lease_owner', '=', claim.owner)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    eventId: row.event_id,
    endpointId: row.endpoint_id,
    attempt: row.attempts,
    body: row.body,
    url: row.url,
    secretSealed: row.secret_sealed,
    previousSecretSealed: row.previous_secret_sealed,
    previousSecretExpiresAtMs: row.previous_secret_expires_at_ms,
  }));
}

/** When the next delivery becomes due (or a lease runs out), or null when nothing is pending. */
export async function nextDeliveryDueAt(db: Kysely<Database>): Promise<number | null> {
  const row = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
    .select((eb) =>
      eb.fn
        .min(
          eb
            .case()
            .when('d.lease_until_ms', 'is', null)
            .then(eb.ref('d.next_attempt_at_ms'))
            // A lease is taken only once the row is due, so it is due again when the lease runs out.
            .else(eb.ref('d.lease_until_ms'))
            .end(),
        )
        .as('at'),
    )
    .where('d.state', '=', 'pending')
    .where('w.status', '=', 'enabled')
    .executeTakeFirst();
  return row?.at === null || row?.at === undefined ? null : Number(row.at);
}

export interface AttemptResult {
  id: string;
  owner: string;
  atMs: number;
  statusCode: number | null;
  errorClass: string | null;
  latencyMs: number;
  /** delivered, failed (no attempt left) or pending (retried at nextAttemptAtMs). */
  state: DeliveryState;
  nextAttemptAtMs: number;
}

/** Records an attempt's outcome and ends the lease; false if the lease was lost (another instance took over). */
export async function recordAttempt(db: Kysely<Database>, result: AttemptResult): Promise<boolean> {
  const updated = await db
    .updateTable('webhook_deliveries')
    .set({
      state: result.state,
      next_attempt_at_ms: result.nextAttemptAtMs,
      lease_owner: null,
      lease_until_ms: null,
      last_attempt_at_ms: result.atMs,
      last_status_code: result.statusCode,
      last_error_class: result.errorClass,
      last_latency_ms: Math.round(result.latencyMs),
      delivered_at_ms: result.state === 'delivered' ? result.atMs : null,
    })
    .where('id', '=', result.id)
    .where('lease_owner', '=', result.owner)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** Gives back leases whose attempt was abandoned unsent (shutdown): due again at once, the attempt not counted. */
export async function releaseDeliveries(db: Kysely<Database>, ids: readonly string[], owner: string): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('webhook_deliveries')
    .set((eb) => ({ lease_owner: null, lease_until_ms: null, attempts: eb('attempts', '-', 1) }))
    .where('id', 'in', [...ids])
    .where('lease_owner', '=', owner)
    .execute();
}

export interface DeliveryFilter {
  endpointId?: string;
  state?: DeliveryState;
  limit: number;
}

export async function listDeliveries(db: Kysely<Database>, filter: DeliveryFilter): Promise<WebhookDeliveryRow[]> {
  let query = db.selectFrom('webhook_deliveries').selectAll();
  if (filter.endpointId !== undefined) query = query.where('endpoint_id', '=', filter.endpointId);
  if (filter.state !== undefined) query = query.where('state', '=', filter.state);
  return query.orderBy('created_at_ms', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

export async function findDelivery(db: Kysely<Database>, id: string): Promise<WebhookDeliveryRow | undefined> {
  return db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The events an endpoint had deliveries of, created at or after `sinceMs`, each once. */
export async function eventIdsDeliveredToEndpointSince(
  db: Kysely<Database>,
  endpointId: string,
  sinceMs: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .select('e.id')
    .distinct()
    .where('d.endpoint_id', '=', endpointId)
    .where('e.created_at_ms', '>=', sinceMs)
    .orderBy('e.id')
    .execute();
  return rows.map((row) => row.id);
}

export async function insertDeliveries(db: Kysely<Database>, deliveries: readonly NewDelivery[]): Promise<void> {
  await insertWebhookEvents(db, [], deliveries);
}

/** Deliveries per state, every state present (zero when none): for the metrics listener. */
export async function countDeliveriesByState(db: Kysely<Database>): Promise<Record<DeliveryState, number>> {
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute();
  const counts = Object.fromEntries(DELIVERY_STATES.map((state) => [state, 0])) as Record<DeliveryState, number>;
  for (const row of rows) counts[row.state as DeliveryState] = Number(row.n);
  return counts;
}
