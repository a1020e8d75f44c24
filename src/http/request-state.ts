/**
 * Per-request state the hooks read: which public route ran, what the pipeline learned, the error code, and the
 * audit's own bookkeeping. Decorations rather than WeakMaps keyed by request: every request sets them.
 */
import type { FastifyInstance } from 'fastify';
import type { PublicRoute } from '../contract/routes.js';
import type { RequestTrace } from '../pipeline.js';

declare module 'fastify' {
  interface FastifyRequest {
    publicRoute: PublicRoute | null;
    trace: RequestTrace | null;
    reasonCode: string | null;
    /** Its `request` record is taken (committed or queued): exactly one per public request. */
    audited: boolean;
    /** performance.now() when the public route's handler started (the latency of an aborted request). */
    publicStartedAt: number;
  }
}

export function decorateRequestState(app: FastifyInstance): void {
  app.decorateRequest('publicRoute', null);
  app.decorateRequest('trace', null);
  app.decorateRequest('reasonCode', null);
  app.decorateRequest('audited', false);
  app.decorateRequest('publicStartedAt', 0);
}
