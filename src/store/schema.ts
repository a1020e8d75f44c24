/** Table types for Kysely. Timestamps are epoch milliseconds; booleans are 0/1 so both dialects agree. */
import type { Generated } from 'kysely';

export interface OrganizationsTable {
  id: string;
  name: string;
  allowlisted: number;
  api_keys_enabled: number;
  /** Requests per second for the whole organization; 0 = unlimited. */
  rate_limit_per_second: number;
  /** Comma-separated route ids enabled for the organization. */
  enabled_routes: string;
  /** Bumped on every change, so a cache never lets an older state overwrite a newer one. */
  state_version: number;
  created_at_ms: number;
}

export interface ApiKeysTable {
  id: string;
  digest: string;
  digest_key_version: number;
  environment: string;
  organization_id: string | null;
  name: string;
  /** Space-separated scopes. */
  scopes: string;
  status: string;
  expires_at_ms: number | null;
  created_at_ms: number;
  last_used_at_ms: number | null;
  /** Requests per second; null = the deployment default, 0 = unlimited. */
  rate_limit_per_second: number | null;
  display_prefix: string;
  state_version: number;
}

export interface PatientsTable {
  id: string;
  organization_id: string;
  first_name: string | null;
  last_name: string | null;
  date_of_birth: string | null;
}

export interface EncountersTable {
  id: string;
  organization_id: string;
  patient_id: string;
  encounter_type: string;
  status: string;
  /** clinical, demo or training. */
  origin: string;
  available: number;
  created_at_ms: number;
  updated_at_ms: number;
  date_of_service_ms: number | null;
}

/**
 * Each encounter's list item exactly as the API sends it (src/resources/served-items.ts): written by the import in
 * the transaction that changes the encounter, its patient or its documents, so a list page or a detail splices
 * stored text instead of reading, mapping and serializing rows on every request.
 */
export interface EncounterItemsTable {
  encounter_id: string;
  /** The form the item was written in; a row of another form is not served (the request builds the item anew). */
  version: number;
  /** The JSON of the `Encounter` body. */
  item: string;
  /** The ids the item discloses (encounter, patient, each listed document), comma-separated. */
  disclosed: string;
}

export interface DocumentsTable {
  id: string;
  encounter_id: string;
  schema_type: string;
  title: string | null;
  status: string | null;
  workflow_variant: string | null;
  available: number;
  audio_duration_seconds: number | null;
  content_format: string | null;
  content_text: string | null;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface TranscriptsTable {
  document_id: string;
  provider: string;
  audio_duration_seconds: number | null;
  finalized_at_ms: number | null;
  /** JSON array of {speaker, start, end, text}. */
  turns: string;
}

export interface RecordingsTable {
  document_id: string;
  object_key: string;
  content_type: string;
  byte_size: number;
}

/** Every change to a key or an organization, so each running instance can refresh its cache. */
export interface ChangeFeedTable {
  id: Generated<number>;
  entity: 'key' | 'organization';
  entity_id: string;
  changed_at_ms: number;
}

/**
 * The audit ledger. Each server process writes a chain of its own (`chain_id`, `seq` 1, 2, …; src/audit/chain.ts);
 * rows written before migration 002 form the legacy chain (`chain_id` 'legacy', plain SHA-256, in id order).
 */
export interface AuditEventsTable {
  id: Generated<number>;
  chain_id: string;
  /** Position in its chain, from 1 (the row id for the legacy chain). */
  seq: number;
  /** The digest-keyring version whose derived key made `hash`; null for the legacy chain. */
  key_version: number | null;
  at_ms: number;
  event: string;
  request_id: string;
  key_id: string | null;
  organization_id: string | null;
  route_id: string | null;
  method: string;
  status: number;
  reason_code: string | null;
  /** JSON array of the resource ids the response carried. */
  resource_ids: string;
  client_ip: string | null;
  user_agent: string | null;
  latency_ms: number;
  /** How many refusals the record stands for (one per client address, route, reason and minute); 1 otherwise. */
  count: number;
  prev_hash: string;
  hash: string;
}

/** The legacy chain's last hash (frozen by migration 002; rows of older servers may still extend it). */
export interface AuditChainHeadTable {
  id: number;
  last_hash: string;
}

export interface WebhookEndpointsTable {
  id: string;
  organization_id: string;
  url: string;
  description: string;
  /** enabled or disabled. */
  status: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at_ms: number | null;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface WebhookEventsTable {
  id: string;
  type: string;
  organization_id: string;
  encounter_id: string;
  document_id: string;
  occurred_at_ms: number;
  body: string;
  created_at_ms: number;
}

export interface WebhookDeliveriesTable {
  id: string;
  event_id: string;
  endpoint_id: string;
  /** pending, delivered or failed. */
  state: string;
  attempts: number;
  next_attempt_at_ms: number;
  lease_owner: string | null;
  lease_until_ms: number | null;
  last_attempt_at_ms: number | null;
  last_status_code: number | null;
  last_error_class: string | null;
  last_latency_ms: number | null;
  delivered_at_ms: number | null;
  created_at_ms: number;
}

/** Transcripts finalized by the open transaction, written by triggers (migration 003) and drained by the outbox. */
export interface WebhookFinalizedTranscriptsTable {
  document_id: string;
}

export interface Database {
  organizations: OrganizationsTable;
  api_keys: ApiKeysTable;
  patients: PatientsTable;
  encounters: EncountersTable;
  encounter_items: EncounterItemsTable;
  documents: DocumentsTable;
  transcripts: TranscriptsTable;
  recordings: RecordingsTable;
  change_feed: ChangeFeedTable;
  audit_events: AuditEventsTable;
  audit_chain_head: AuditChainHeadTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_finalized_transcripts: WebhookFinalizedTranscriptsTable;
}
