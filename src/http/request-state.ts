/** Per-request state the hooks read: which public route ran, what the pipeline learned, and the error code. */
import type { FastifyInstance } from 'fastify';
import type { PublicRoute } from '../contract/routes.js';
import type { RequestTrace } from '../pipeline.js';

declare module 'fastify' {
  interface FastifyRequest {
    publicRoute: PublicRoute | null;
    trace: RequestTrace | null;
    reasonCode: string | null;
  }
}

export function decorateRequestState(app: FastifyInstance): void {
  app.decorateRequest('publicRoute', null);
  app.decorateRequest('trace', null);
  app.decorateRequest('reasonCode', null);
}
