/** Step 1 of the order of checks, for requests the router did not match: 405 for a known path, else 404. */
import type { FastifyInstance } from 'fastify';
import { PublicError } from '../contract/errors.js';
import { PUBLIC_ROUTES } from '../contract/routes.js';
import { pathOf } from './raw-url.js';
import { sendError } from './send-error.js';

const PUBLIC_PATHS = PUBLIC_ROUTES.map((route) => new RegExp(`^${route.path.replace(/:[a-z_]+/g, '[^/]+')}$`));

export function registerNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    if (PUBLIC_PATHS.some((pattern) => pattern.test(path))) {
      return sendError(reply, new PublicError('method_not_allowed'), { allow: 'GET, HEAD' });
    }
    return sendError(reply, new PublicError('route_not_found'));
  });
}
