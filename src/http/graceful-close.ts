/**
 * Graceful close of a listening Fastify instance, without resetting requests a client has already sent.
 *
 * `app.close()` alone is not enough under keep-alive load: Node's `server.close()` immediately closes every
 * connection it considers idle, and a connection counts as idle until Node has *read* the next request from it.
 * A client that sent its request a moment ago, while the event loop was busy, gets a TCP reset for a request the
 * server never looked at. Closing the listener has the same trap one level down: connections the kernel has
 * completed but Node has not yet accepted are reset when the listening socket closes. So the close goes in steps:
 * 1. Stop accepting connections, at an instant when none is waiting to be accepted (see listenerIdle), and keep
 *    the open ones: from now on every response carries `Connection: close` (Fastify's closing mode), so each
 *    connection ends right after the next response it gets.
 * 2. Once no request has started for `quietMs` *and* for QUIET_TURNS turns of the event loop, close the
 *    connections that are still idle, then wait for the last responses. The turns matter: after a stall (a
 *    busy machine, a long GC), wall time says "quiet" while requests sent meanwhile still sit unread in socket
 *    buffers; a timer callback runs before the loop polls sockets, so only a check made after a poll, with no
 *    request begun in it, knows that no client is waiting.
 * `maxDrainMs` bounds step 1 against clients that keep a connection busy forever.
 */
import type { FastifyInstance } from 'fastify';

export interface GracefulCloseOptions {
  quietMs?: number;
  maxDrainMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Consecutive quiet checks, each after a poll of the sockets, before idle connections are closed. */
const QUIET_TURNS = 3;
/** How long step 1 waits for a turn in which no connection arrived, before closing the listener anyway. */
const LISTENER_IDLE_WAIT_MS = 1000;

/**
 * Resolves in the check phase right after a poll of the sockets in which the listener accepted nothing: libuv
 * accepts every waiting connection when it polls, so at that instant the accept queue is empty, and closing the
 * listener now resets nobody (the window left is the rest of this one phase). Gives up after `maxWaitMs`.
 */
function listenerIdle(server: NodeJS.EventEmitter, maxWaitMs: number): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  // True at first: the poll before this call may have left connections waiting; only a whole turn tells.
  let accepted = true;
  const onConnection = () => {
    accepted = true;
  };
  server.on('connection', onConnection);
  return new Promise((resolve) => {
    const check = () => {
      if (!accepted || Date.now() >= deadline) {
        server.off('connection', onConnection);
        resolve();
        return;
      }
      accepted = false;
      setImmediate(check);
    };
    setImmediate(check);
  });
}

export async function closeGracefully(app: FastifyInstance, options: GracefulCloseOptions = {}): Promise<void> {
  const server = app.server;
  if (!server.listening) {
    await app.close();
    return;
  }
  const quietMs = options.quietMs ?? 250;
  const deadline = Date.now() + (options.maxDrainMs ?? 10_000);
  let lastActivity = Date.now();
  let quietTurns = 0;
  const active = () => {
    lastActivity = Date.now();
    quietTurns = 0;
  };
  const onRequest = (_request: unknown, response: NodeJS.EventEmitter) => {
    active();
    response.once('close', active);
  };
  server.on('request', onRequest);
  // Node's close() closes idle connections through this method: skip that until the drain is over.
  const closeIdleConnections = server.closeIdleConnections;
  server.closeIdleConnections = () => {};
  await listenerIdle(server, LISTENER_IDLE_WAIT_MS);
  const closed = app.close();
  try {
    while (Date.now() < deadline) {
      await sleep(25);
      if (server.listening || Date.now() - lastActivity < quietMs) quietTurns = 0;
      else if (++quietTurns >= QUIET_TURNS) break;
    }
  } finally {
    server.closeIdleConnections = closeIdleConnections;
    server.off('request', onRequest);
  }
  server.closeIdleConnections();
  await closed;
}
