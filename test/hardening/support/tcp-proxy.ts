/** A TCP proxy a test can switch between forwarding, swallowing everything (a hung peer) and refusing. */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'forward' | 'blackhole';

export interface TcpProxy {
  port: number;
  mode: ProxyMode;
  /** Drops every connection and stops listening (connection refused from then on). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const proxy: TcpProxy = {
    port: 0,
    mode: 'forward',
    async down() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      const current = server;
      server = undefined;
      if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
    },
    async up() {
      server = createServer((client) => {
        sockets.add(client);
        client.on('close', () => sockets.delete(client));
        client.on('error', () => {});
        if (proxy.mode === 'blackhole') {
          client.resume(); // read and discard, never answer
          return;
        }
        const upstream = connect(targetPort, targetHost);
        sockets.add(upstream);
        upstream.on('close', () => {
          sockets.delete(upstream);
          client.destroy();
        });
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        client.on('data', (chunk) => {
          if (proxy.mode === 'forward') upstream.write(chunk);
        });
        upstream.on('data', (chunk) => {
          if (proxy.mode === 'forward') client.write(chunk);
        });
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      port = (server!.address() as { port: number }).port;
      proxy.port = port;
    },
    close: () => proxy.down(),
  };
  await proxy.up();
  return proxy;
}

/** A port nothing listens on (bound once, then released). */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
