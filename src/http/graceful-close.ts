/**
 * Graceful close of a listening Fastify instance, without resetting requests a client has already sent.
 *
 * `app.close()` alone is not enough under keep-alive load: Node's `server.close()` immediately closes every
 * connection it considers idle, and a connection counts as idle until Node has *read* the next request from it.
 * A client that sent its request a moment ago, while the event loop was busy, gets a TCP reset for a request the
 * server never looked at. So the close goes in two steps:
 * 1. Stop accepting connections and keep the open ones: from now on every response carries `Connection: close`
 *    (Fastify's closing mode), so each connection ends right after the next response it gets.
 * 2. Once no request has started for `quietMs` (requests waiting unread in socket buffers have been read and
 *    answered by then), close the connections that are still idle, then wait for the last responses.
 * `maxDrainMs` bounds step 1 against clients that keep a connection busy forever.
 */
import type { FastifyInstance } from 'fastify';

export interface GracefulCloseOptions {
  quietMs?: number;
  maxDrainMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function closeGracefully(app: FastifyInstance, options: GracefulCloseOptions = {}): Promise<void> {
  const server = app.server;
  if (!server.listening) {
    await app.close();
    return;
  }
  const quietMs = options.quietMs ?? 250;
  const deadline = Date.now() + (options.maxDrainMs ?? 10_000);
  let lastActivity = Date.now();
  const onRequest = (_request: unknown, response: NodeJS.EventEmitter) => {
    lastActivity = Date.now();
    response.once('close', () => {
      lastActivity = Date.now();
    });
  };
  server.on('request', onRequest);
  // Node's close() closes idle connections through this method: skip that until the drain is over.
  const closeIdleConnections = server.closeIdleConnections;
  server.closeIdleConnections = () => {};
  const closed = app.close();
  try {
    while (Date.now() < deadline && (server.listening || Date.now() - lastActivity < quietMs)) await sleep(25);
  } finally {
    server.closeIdleConnections = closeIdleConnections;
    server.off('request', onRequest);
  }
  server.closeIdleConnections();
  await closed;
}
