/**
 * A real webhook receiver on loopback for tests: records every request (arrival time, headers, the raw body
 * bytes) and answers as the test's `respond` says — a status, or `hang` to hold the request open.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The exact bytes received. */
  body: Buffer;
}

export type Answer = number | 'hang' | { status: number; headers?: Record<string, string>; delayMs?: number };

export interface Receiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** TCP connections accepted (a blocked address must never get one). */
  connections: number;
  respond: (request: ReceivedRequest, index: number) => Answer;
  /** Resolves once `count` requests have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startReceiver(respond: Receiver['respond'] = () => 204): Promise<Receiver> {
  const hanging = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const waiters: { count: number; resolve: () => void }[] = [];
  const receiver: Receiver = {
    url: '',
    port: 0,
    requests: [],
    connections: 0,
    respond,
    async waitFor(count, timeoutMs = 30_000) {
      if (receiver.requests.length >= count) return receiver.requests;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`receiver got ${receiver.requests.length} of ${count} requests`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
      return receiver.requests;
    },
    async close() {
      for (const response of hanging) response.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received: ReceivedRequest = {
        at: Date.now(),
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks),
      };
      const index = receiver.requests.push(received) - 1;
      for (const waiter of waiters.filter((w) => receiver.requests.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      const answer = receiver.respond(received, index);
      if (answer === 'hang') {
        hanging.add(response);
        return;
      }
      const { status, headers, delayMs } = typeof answer === 'number' ? { status: answer } : answer;
      const send = () => {
        response.writeHead(status, headers ?? {});
        response.end(status === 204 ? undefined : 'receiver body that must never be stored');
      };
      if (delayMs) setTimeout(send, delayMs);
      else send();
    });
  });
  server.on('connection', (socket) => {
    receiver.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/hooks/charthero`;
  return receiver;
}
