/** What a resource handler receives once access and query checks have passed, and what it returns. */
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { AudioStorage } from '../media/storage.js';
import type { ListQuery } from '../query/list-query.js';
import type { Database } from '../store/schema.js';

export interface ResourceRequest {
  db: Kysely<Database>;
  storage: AudioStorage;
  config: Pick<Config, 'audioUrlTtlSeconds'>;
  organizationId: string;
  params: Record<string, string>;
  query: ListQuery;
}

/** A response body already written as JSON, sent as it is instead of through the route's serializer. */
export class SerializedJson {
  constructor(readonly text: string) {}
}

export interface ResourceResult {
  /** An object for the route's response serializer, or text already serialized. */
  body: unknown;
  /** Every encounter, document or recording id the response discloses, for the audit ledger. */
  resourceIds: string[];
  /** Set when the response issued a media URL (audited as an event of its own). */
  audioUrlIssuedFor?: string;
}
