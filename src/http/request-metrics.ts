/** Counts and times every response for the metrics listener, labelled by route id, status and reason code. */
import type { FastifyInstance } from 'fastify';
import { PUBLIC_ROUTES } from '../contract/routes.js';
import { type Metrics, NON_PUBLIC_ROUTE } from '../metrics/metrics.js';
import './request-state.js';

/** Registered route path → route id, so a request refused before its handler ran is still labelled by route. */
const ROUTE_ID_BY_PATH = new Map<string, string>(PUBLIC_ROUTES.map((route) => [route.path, route.id]));

export function registerRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const path = request.routeOptions.url;
    const route = (path !== undefined && ROUTE_ID_BY_PATH.get(path)) || NON_PUBLIC_ROUTE;
    metrics.observeRequest(route, reply.statusCode, request.reasonCode, reply.elapsedTime / 1000);
  });
}
