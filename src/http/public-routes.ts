/**
 * The five public routes: each hands the raw request to the pipeline and records the outcome. A response that
 * discloses data (2xx) leaves only once its audit records are committed (the onSend hook below awaits that; Fastify
 * writes neither status line, headers nor body before every onSend hook has finished); everything else is
 * recorded in the background once the response is done.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AuditEvent, type AuditSink, CLIENT_CLOSED_REQUEST } from '../audit/events.js';
import { PublicError } from '../contract/errors.js';
import { PUBLIC_ROUTES } from '../contract/routes.js';
import { loggableError } from '../error-log.js';
import { rateLimitHeaders } from '../limits/rate-limiter.js';
import { emptyTrace, handlePublicRequest, type PipelineDeps } from '../pipeline.js';
import { SerializedJson } from '../resources/context.js';
import { rawHeaderValues, rawQueryOf } from './raw-url.js';
import './request-state.js';
import { JSON_CONTENT_TYPE } from './content-types.js';
import { sendError } from './send-error.js';

/** The `request` record (plus `audio_url_issued` for an audio URL handed out) of a response with this status. */
function auditEvents(request: FastifyRequest, statusCode: number, latencyMs: number): AuditEvent[] {
  const trace = request.trace!;
  const completed = isDisclosure(statusCode);
  // Written out, not spread from a shared base: this runs for every request (only an audio URL's copies it).
  const record: AuditEvent = {
    atMs: Date.now(),
    event: 'request',
    requestId: request.id,
    keyId: trace.keyId,
    organizationId: trace.organizationId,
    routeId: request.publicRoute!.id,
    method: request.method,
    status: statusCode,
    reasonCode: request.reasonCode,
    resourceIds: completed ? trace.resourceIds : [],
    clientIp: request.ip ?? null,
    userAgent: request.headers['user-agent'] ?? null,
    latencyMs,
  };
  if (trace.audioUrlIssuedFor === null || !completed) return [record];
  return [record, { ...record, event: 'audio_url_issued' }];
}

const isDisclosure = (statusCode: number) => statusCode >= 200 && statusCode < 300;

/** Exactly one `request` record per public request, whichever hook comes first; refusals in the background. */
function recordRefusal(request: FastifyRequest, statusCode: number, latencyMs: number, audit: AuditSink): void {
  if (request.audited) return;
  request.audited = true;
  for (const event of auditEvents(request, statusCode, latencyMs)) audit.record(event);
}

/**
 * Commits a disclosure's records before the response leaves. When that fails in time, the response becomes the
 * standard 503 `datastore_unavailable` instead (nothing of the data goes out), and that refusal is recorded.
 */
async function commitDisclosure(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  audit: AuditSink,
): Promise<unknown> {
  request.audited = true;
  const latencyMs = reply.elapsedTime;
  try {
    await audit.commit(auditEvents(request, reply.statusCode, latencyMs));
    return payload;
  } catch (error) {
    request.log.warn({ error: loggableError(error) }, 'audit records not committed; answering 503');
    const refusal = new PublicError('datastore_unavailable');
    request.reasonCode = refusal.code;
    reply.code(refusal.status).header('retry-after', String(refusal.retryAfterSeconds)).type(JSON_CONTENT_TYPE);
    for (const event of auditEvents(request, refusal.status, latencyMs)) audit.record(event);
    return JSON.stringify(refusal.toBody());
  }
}

export function registerPublicRoutes(app: FastifyInstance, deps: PipelineDeps, audit: AuditSink): void {
  // One hook for both, since it runs for every response: every authenticated response carries the RateLimit
  // headers (errors included, and the 503 a failed commit turns a disclosure into); a disclosure waits for its commit.
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.trace?.rateLimit) reply.headers(rateLimitHeaders(request.trace.rateLimit));
    if (request.publicRoute && request.trace && !request.audited && isDisclosure(reply.statusCode)) {
      return commitDisclosure(request, reply, payload, audit);
    }
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    if (request.publicRoute && request.trace) recordRefusal(request, reply.statusCode, reply.elapsedTime, audit);
  });
  // A client that leaves before the response is complete gets no onResponse: it is still one request to audit.
  app.addHook('onRequestAbort', async (request) => {
    if (request.publicRoute && request.trace) {
      const latencyMs = performance.now() - request.publicStartedAt;
      recordRefusal(request, CLIENT_CLOSED_REQUEST, latencyMs, audit);
    }
  });

  for (const route of PUBLIC_ROUTES) {
    app.get(route.path, { schema: { response: { 200: route.response } } }, async (request, reply) => {
      const params = request.params as Record<string, string>;
      // The router lets a trailing `/` match an empty last id; like `//`, that path names no route (step 1).
      if (Object.values(params).includes('')) throw new PublicError('route_not_found');
      request.publicRoute = route;
      request.trace = emptyTrace();
      request.publicStartedAt = performance.now();
      let body: unknown;
      try {
        body = await handlePublicRequest(
          deps,
          route,
          {
            authorization: rawHeaderValues(request.raw.rawHeaders, 'authorization'),
            clientAddress: request.ip,
            rawQuery: rawQueryOf(request.url),
            params,
          },
          request.trace,
        );
      } catch (error) {
        // A refusal is answered here rather than through Fastify's error path (the same sendError at the end of it):
        // every request of an invalid-key storm takes this way.
        if (error instanceof PublicError) return sendError(reply, error);
        throw error;
      }
      if (!(body instanceof SerializedJson)) return body;
      // A string with a JSON content type skips the serializer; the header is the one the serializer sets.
      reply.type(JSON_CONTENT_TYPE);
      return body.text;
    });
  }
}
