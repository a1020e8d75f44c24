/**
 * The metrics listener: a plain HTTP server on CHARTHERO_METRICS_PORT, bound to HOST, that serves `GET /metrics`
 * and nothing else. It is never the public port, so partners cannot scrape it through the API's load balancer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PublicError } from '../contract/errors.js';
import { JSON_CONTENT_TYPE } from '../http/content-types.js';
import type { Metrics } from './metrics.js';

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

const HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

function sendError(response: ServerResponse, error: PublicError, headers: Record<string, string> = {}) {
  response.writeHead(error.status, { ...HEADERS, ...headers, 'content-type': JSON_CONTENT_TYPE });
  response.end(JSON.stringify(error.toBody()));
}

async function answer(metrics: Metrics, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (path !== '/metrics') return sendError(response, new PublicError('route_not_found'));
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return sendError(response, new PublicError('method_not_allowed'), { allow: 'GET, HEAD' });
  }
  const body = await metrics.registry.metrics();
  response.writeHead(200, { ...HEADERS, 'content-type': metrics.registry.contentType });
  response.end(request.method === 'HEAD' ? undefined : body);
}

export async function listenMetrics(metrics: Metrics, host: string, port: number): Promise<MetricsListener> {
  const server: Server = createServer((request, response) => {
    request.resume();
    answer(metrics, request, response).catch(() => {
      if (!response.headersSent) sendError(response, new PublicError('internal_error'));
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostPart}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
