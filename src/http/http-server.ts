/**
 * The Node HTTP server under Fastify, with the connection limits of docs/limits.md in one place: slow clients
 * cannot hold a connection, a body past 64 KiB is refused unread on every path (the routes are all GET and never
 * read a body; Node would otherwise read and discard any amount of it), and the connection cap.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_TIMEOUT_MS,
  MAX_REQUEST_BODY_BYTES,
  REQUEST_TIMEOUT_MS,
} from '../contract/bounds.js';
import { SECURITY_HEADERS } from './security-headers.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A `serverFactory` for Fastify: `handler` is Fastify's; `maxConnections` the per-process cap. */
export function limitedHttpServer(maxConnections: number): (handler: Handler) => Server {
  return (handler) => {
    const server = createServer(
      {
        headersTimeout: HEADERS_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
        // Node checks the two request timeouts on this interval (30 s by default, which would double them).
        connectionsCheckingInterval: 500,
      },
      (request, response) => {
        if (!refuseOversizedBody(request, response)) handler(request, response);
      },
    );
    // Past the cap Node closes each new connection as soon as it is accepted.
    server.maxConnections = maxConnections;
    return server;
  };
}

/**
 * A declared body past the limit gets 413 (Node's own kind of answer, like 431: no JSON body) and the connection
 * closes after it; a body of undeclared length (chunked) is cut off by closing the connection once it passes the
 * limit. True when the request was refused.
 */
function refuseOversizedBody(request: IncomingMessage, response: ServerResponse): boolean {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > MAX_REQUEST_BODY_BYTES) {
    response.writeHead(413, { ...SECURITY_HEADERS, connection: 'close', 'content-length': '0' });
    response.end();
    // What is left of the body is never read: the socket goes once the answer is written.
    response.once('finish', () => request.socket.destroySoon());
    return true;
  }
  if (request.headers['transfer-encoding'] !== undefined) {
    let received = 0;
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_REQUEST_BODY_BYTES) request.socket.destroy();
    });
    // Once the response is done Node discards the rest of a body, dropping every 'data' listener (this one too):
    // a body still arriving then goes with its connection instead of being read to its end.
    response.once('finish', () => {
      if (!request.complete) request.socket.destroySoon();
    });
  }
  return false;
}
