/** The five public routes: each hands the raw request to the pipeline and records the outcome. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditSink } from '../audit/events.js';
import { PUBLIC_ROUTES } from '../contract/routes.js';
import { rateLimitHeaders } from '../limits/rate-limiter.js';
import { emptyTrace, handlePublicRequest, type PipelineDeps } from '../pipeline.js';
import { rawHeaderValues, rawQueryOf } from './raw-url.js';
import './request-state.js';

function auditEvents(request: FastifyRequest, statusCode: number, latencyMs: number, audit: AuditSink) {
  const trace = request.trace!;
  const base = {
    atMs: Date.now(),
    requestId: request.id,
    keyId: trace.keyId,
    organizationId: trace.organizationId,
    routeId: request.publicRoute!.id,
    method: request.method,
    status: statusCode,
    reasonCode: request.reasonCode,
    clientIp: request.ip ?? null,
    userAgent: request.headers['user-agent'] ?? null,
    latencyMs,
  };
  audit.record({ ...base, event: 'request', resourceIds: statusCode < 400 ? trace.resourceIds : [] });
  if (trace.audioUrlIssuedFor !== null && statusCode < 400) {
    audit.record({ ...base, event: 'audio_url_issued', resourceIds: trace.resourceIds });
  }
}

export function registerPublicRoutes(app: FastifyInstance, deps: PipelineDeps, audit: AuditSink): void {
  // Every authenticated response carries the RateLimit headers, errors included.
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.trace?.rateLimit) reply.headers(rateLimitHeaders(request.trace.rateLimit));
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    if (request.publicRoute && request.trace) auditEvents(request, reply.statusCode, reply.elapsedTime, audit);
  });

  for (const route of PUBLIC_ROUTES) {
    app.get(route.path, { schema: { response: { 200: route.response } } }, async (request) => {
      request.publicRoute = route;
      request.trace = emptyTrace();
      return handlePublicRequest(
        deps,
        route,
        {
          authorization: rawHeaderValues(request.raw.rawHeaders, 'authorization'),
          rawQuery: rawQueryOf(request.url),
          params: request.params as Record<string, string>,
        },
        request.trace,
      );
    });
  }
}
