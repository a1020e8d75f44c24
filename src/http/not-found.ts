/** Step 1 of the order of checks, for requests the router did not match: 405 for a known path, else 404. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PublicError } from '../contract/errors.js';
import { PUBLIC_ROUTES } from '../contract/routes.js';
import { pathOf } from './raw-url.js';
import { sendError } from './send-error.js';

const PUBLIC_PATHS = PUBLIC_ROUTES.map((route) => new RegExp(`^${route.path.replace(/:[a-z_]+/g, '[^/]+')}$`));

export function sendUnmatched(request: FastifyRequest, reply: FastifyReply) {
  const path = pathOf(request.url);
  if (PUBLIC_PATHS.some((pattern) => pattern.test(path))) {
    return sendError(reply, new PublicError('method_not_allowed'), { allow: 'GET, HEAD' });
  }
  return sendError(reply, new PublicError('route_not_found'));
}

/**
 * Fastify's request-body errors (an invalid Content-Type, a bad Content-Length, a body method such as QUERY sent
 * without a Content-Type…). Every route is GET/HEAD, which never read a body, so these only reach requests with a
 * method no route serves: they get the step 1 answer.
 */
export function isUnmatchedBodyError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('FST_ERR_CTP_') || code === 'FST_ERR_ROUTE_MISSING_CONTENT_TYPE');
}

export function registerNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler(sendUnmatched);
}
