/** One audit record: who read what, when, and with which outcome. Never a secret, never patient fields. */
export interface AuditEvent {
  atMs: number;
  event: 'request' | 'audio_url_issued';
  requestId: string;
  keyId: string | null;
  organizationId: string | null;
  routeId: string | null;
  method: string;
  status: number;
  reasonCode: string | null;
  /** Encounter, patient and document ids the response disclosed. */
  resourceIds: string[];
  clientIp: string | null;
  userAgent: string | null;
  latencyMs: number;
}

/** Takes records on the request path without waiting; the ledger writes them in batches. */
export interface AuditSink {
  record(event: AuditEvent): void;
  /** Writes everything recorded so far (called on shutdown). */
  flush(): Promise<void>;
}
