/** buildApp: the Fastify instance, wired from already-built dependencies (src/runtime.ts builds those). */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { AuditSink } from './audit/events.js';
import type { Config } from './config.js';
import { PublicError } from './contract/errors.js';
import { clientErrorHandler } from './http/client-error.js';
import { registerDocsRoutes } from './http/docs-routes.js';
import { limitedHttpServer } from './http/http-server.js';
import { isUnmatchedBodyError, registerNotFound, sendUnmatched } from './http/not-found.js';
import { registerPublicRoutes } from './http/public-routes.js';
import { escapeUndecodablePath } from './http/raw-url.js';
import { requestIdFor } from './http/request-id.js';
import { registerRequestMetrics } from './http/request-metrics.js';
import { decorateRequestState } from './http/request-state.js';
import { SECURITY_HEADERS } from './http/security-headers.js';
import { sendError, toPublicError } from './http/send-error.js';
import { registerServiceRoutes } from './http/service-routes.js';
import type { Metrics } from './metrics/metrics.js';
import type { PipelineDeps } from './pipeline.js';
import type { Store } from './store/db.js';

export interface AppDeps extends PipelineDeps {
  store: Store;
  audit: AuditSink;
  logger: FastifyBaseLogger;
  /** Set when the metrics listener is configured: every response is counted and timed. */
  metrics?: Metrics;
  /** Registers extra routes (the media path of file storage) on the instance. */
  extraRoutes?: (app: FastifyInstance) => void;
}

/** CHARTHERO_TRUST_PROXY as Fastify's `trustProxy`: a hop count trusts that many hops nearest the server. */
function trustedProxies(setting: Config['trustProxy']): false | string[] | ((address: string, hop: number) => boolean) {
  if (setting === undefined) return false;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return setting;
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger,
    // Requests are logged once, by the onResponse hook below, with fields chosen not to carry secrets or PHI.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdFor,
    serverFactory: limitedHttpServer(deps.config.maxConnections),
    // The client address of step 5a and the audit: the socket's, or the one trusted proxies report.
    trustProxy: trustedProxies(deps.config.trustProxy),
    rewriteUrl: (request) => escapeUndecodablePath(request.url ?? '/'),
    // In-flight keep-alive requests are served during a graceful shutdown instead of getting a bare 503.
    return503OnClosing: false,
    clientErrorHandler,
    // A request target the router cannot take (`*`, absolute-form, an undecodable path) matches no route: the
    // contract's 404 with the usual headers, not Fastify's own 400 body echoing the URL.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id).headers(SECURITY_HEADERS);
      if (error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
        return sendError(reply, new PublicError('route_not_found'));
      }
      return sendError(reply, toPublicError(error, request.log));
    },
    routerOptions: {
      // Ids of any length must reach the resource checks (and get a 404), not be refused by the router.
      maxParamLength: 65_536,
      // The public routes parse the raw query string themselves (repeated and blank keys matter).
      querystringParser: () => ({}),
    },
  });

  // GET bodies are ignored: accept any content type and never buffer or parse a body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => {
    payload.resume();
    done(null, undefined);
  });

  decorateRequestState(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.headers(SECURITY_HEADERS);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.publicRoute?.id ?? request.routeOptions.url ?? null,
        status: reply.statusCode,
        reason_code: request.reasonCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request completed',
    );
  });

  app.setErrorHandler((error, request, reply) => {
    if (isUnmatchedBodyError(error)) return sendUnmatched(request, reply);
    return sendError(reply, toPublicError(error, request.log));
  });

  if (deps.metrics) registerRequestMetrics(app, deps.metrics);
  registerNotFound(app);
  registerServiceRoutes(app, deps.store, deps.keyring);
  registerDocsRoutes(app);
  registerPublicRoutes(app, deps, deps.audit);
  deps.extraRoutes?.(app);
  return app;
}
