/** The five public routes: each hands the raw request to the pipeline and records the outcome. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type AuditSink, CLIENT_CLOSED_REQUEST } from '../audit/events.js';
import { PublicError } from '../contract/errors.js';
import { PUBLIC_ROUTES } from '../contract/routes.js';
import { rateLimitHeaders } from '../limits/rate-limiter.js';
import { emptyTrace, handlePublicRequest, type PipelineDeps } from '../pipeline.js';
import { rawHeaderValues, rawQueryOf } from './raw-url.js';
import './request-state.js';

/** Requests already audited, and when each public request started (for the latency of an aborted one). */
const audited = new WeakSet<FastifyRequest>();
const startedAt = new WeakMap<FastifyRequest, number>();

/** Exactly one `request` record per public request (plus one per audio URL issued), whichever hook comes first. */
function auditEvents(request: FastifyRequest, statusCode: number, latencyMs: number, audit: AuditSink) {
  if (audited.has(request)) return;
  audited.add(request);
  const trace = request.trace!;
  const completed = statusCode < 400;
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
  audit.record({ ...base, event: 'request', resourceIds: completed ? trace.resourceIds : [] });
  if (trace.audioUrlIssuedFor !== null && completed) {
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
  // A client that leaves before the response is complete gets no onResponse: it is still one request to audit.
  app.addHook('onRequestAbort', async (request) => {
    if (request.publicRoute && request.trace) {
      const latencyMs = performance.now() - (startedAt.get(request) ?? performance.now());
      auditEvents(request, CLIENT_CLOSED_REQUEST, latencyMs, audit);
    }
  });

  for (const route of PUBLIC_ROUTES) {
    app.get(route.path, { schema: { response: { 200: route.response } } }, async (request) => {
      const params = request.params as Record<string, string>;
      // The router lets a trailing `/` match an empty last id; like `//`, that path names no route (step 1).
      if (Object.values(params).includes('')) throw new PublicError('route_not_found');
      request.publicRoute = route;
      request.trace = emptyTrace();
      startedAt.set(request, performance.now());
      return handlePublicRequest(
        deps,
        route,
        {
          authorization: rawHeaderValues(request.raw.rawHeaders, 'authorization'),
          rawQuery: rawQueryOf(request.url),
          params,
        },
        request.trace,
      );
    });
  }
}
