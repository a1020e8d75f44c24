/** One audit record: who read what, when, and with which outcome. Never a secret, never patient fields. */
export interface AuditEvent {
  atMs: number;
  /** `request`: one per request to a public route; `audio_url_issued`: one more per media URL handed out. */
  event: 'request' | 'audio_url_issued';
  /** The X-Request-Id of the response. */
  requestId: string;
  /** The key's id (`key_…`) once the key was found, never the secret; null when authentication failed before. */
  keyId: string | null;
  organizationId: string | null;
  routeId: string | null;
  method: string;
  /** The HTTP status sent, or CLIENT_CLOSED_REQUEST when the client left before the response was complete. */
  status: number;
  reasonCode: string | null;
  /** Encounter, patient and document ids the response disclosed (every one of a list page). */
  resourceIds: string[];
  clientIp: string | null;
  userAgent: string | null;
  latencyMs: number;
}

/** Status recorded for a request whose client closed the connection before the response was complete (nginx's 499). */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * The ledger as the request path sees it: `commit` for the records of a response that discloses data (it resolves
 * once they are committed, and rejects when that cannot happen within the datastore timeout), `record` for
 * everything else (written in the background, never waited for).
 */
export interface AuditSink {
  commit(events: readonly AuditEvent[]): Promise<void>;
  record(event: AuditEvent): void;
  /** Writes everything recorded so far, open refusal aggregates included (called on shutdown). */
  flush(): Promise<void>;
}

/** The ledger could not commit a disclosure's records in time: the response must not go out. */
export class AuditUnavailableError extends Error {
  override name = 'AuditUnavailableError';
}
