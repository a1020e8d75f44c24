/**
 * A TCP proxy between the server and PostgreSQL, to cut the database off for real (no mocks):
 * - `down()`: every open connection is reset and the port refuses new ones (the database host is gone);
 * - `stall()`: open connections stop carrying bytes and new ones are accepted but never answered (the database,
 *   or the network to it, hangs);
 * - `restore()`: back to forwarding on the same port; connections from the stall are reset.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

export type ProxyMode = 'forward' | 'down' | 'stall';

export interface TcpProxy {
  port: number;
  mode(): ProxyMode;
  down(): Promise<void>;
  stall(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream?: Socket;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = 'forward';
  const pairs = new Set<Pair>();

  const destroy = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.resetAndDestroy();
    pair.upstream?.resetAndDestroy();
  };

  const onConnection = (client: Socket) => {
    const pair: Pair = { client };
    pairs.add(pair);
    client.on('error', () => destroy(pair));
    client.on('close', () => destroy(pair));
    if (mode === 'stall') {
      client.pause(); // Accepted, never answered.
      return;
    }
    const upstream = tcpConnect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on('error', () => destroy(pair));
    upstream.on('close', () => destroy(pair));
    client.pipe(upstream);
    upstream.pipe(client);
  };

  let server: Server = createServer(onConnection);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  const port = await listen(0);

  return {
    port,
    mode: () => mode,
    async down() {
      mode = 'down';
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const pair of [...pairs]) destroy(pair);
      await closed;
    },
    stall() {
      mode = 'stall';
      for (const pair of pairs) {
        pair.client.unpipe();
        pair.upstream?.unpipe();
        pair.client.pause();
        pair.upstream?.pause();
      }
    },
    async restore() {
      const previous = mode;
      mode = 'forward';
      for (const pair of [...pairs]) if (previous === 'stall') destroy(pair);
      if (!server.listening) {
        server = createServer(onConnection);
        await listen(port);
      }
    },
    async close() {
      mode = 'down';
      for (const pair of [...pairs]) destroy(pair);
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
