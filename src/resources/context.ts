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

export interface ResourceResult {
  body: unknown;
  /** Every encounter, document or recording id the response discloses, for the audit ledger. */
  resourceIds: string[];
  /** Set when the response issued a media URL (audited as an event of its own). */
  audioUrlIssuedFor?: string;
}

/**
 * IDs are opaque, but no stored id holds control characters or runs past 256 characters (the import enforces the
 * same rule), so such a path id is simply not found, without a query that some databases would reject (NUL).
 */
export function plausibleId(id: string | undefined): id is string {
  return id !== undefined && id.length > 0 && id.length <= 256 && !/[\u0000-\u001f\u007f-\u009f]/.test(id);
}
