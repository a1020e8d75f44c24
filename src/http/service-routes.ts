/** Unauthenticated service routes: liveness, readiness and the OpenAPI artifact. */
import type { FastifyInstance } from 'fastify';
import type { KeyringSource } from '../access/keyring-source.js';
import { buildOpenApiDocument } from '../contract/openapi.js';
import { OPENAPI_PATH } from '../contract/routes.js';
import { databaseAnswers, type Store } from '../store/db.js';
import { JSON_CONTENT_TYPE } from './content-types.js';

export function registerServiceRoutes(app: FastifyInstance, store: Store, keyring: KeyringSource): void {
  const openapi = JSON.stringify(buildOpenApiDocument());
  // A closing instance tells its load balancer to stop sending traffic while it drains.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const database = await databaseAnswers(store.db);
    const digestKeyring = keyring.ready();
    const ready = database && digestKeyring && !closing;
    if (!ready) reply.code(503).header('retry-after', '1');
    // Operators read which dependency failed; the public error body is for the partner routes.
    return {
      status: ready ? 'ready' : closing ? 'shutting_down' : 'unavailable',
      checks: { database, digest_keyring: digestKeyring },
    };
  });

  app.get(OPENAPI_PATH, async (_request, reply) => reply.type(JSON_CONTENT_TYPE).send(openapi));
}
