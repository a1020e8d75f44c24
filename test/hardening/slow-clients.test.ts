/**
 * Slow and oversized clients over raw sockets (docs/limits.md "Sizes and times"): headers within 10 s, a whole
 * request within 30 s, idle keep-alive closed after 5 s, a body over 64 KiB refused without being read, and the
 * per-process connection cap. The long waits run side by side in one test, so the file takes about 31 s.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Harness } from '../support/harness.js';
import { useHarness } from '../support/use-harness.js';

/** A raw connection that keeps every byte the server sent and when it closed. */
class Probe {
  readonly socket: Socket;
  readonly openedAt = performance.now();
  received = Buffer.alloc(0);
  closedAt: number | undefined;
  private readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
    });
    this.socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      this.socket.once('close', () => {
        this.closedAt = performance.now();
        resolve();
      }),
    );
  }

  connected(): Promise<void> {
    return new Promise((resolve) => this.socket.once('connect', () => resolve()));
  }

  write(data: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** Seconds from opening until the server closed it; fails past `limitSeconds`. */
  async closedWithin(limitSeconds: number): Promise<number> {
    const timer = setTimeout(() => this.socket.destroy(), (limitSeconds + 5) * 1000);
    await this.closed;
    clearTimeout(timer);
    return (this.closedAt! - this.openedAt) / 1000;
  }

  text(): string {
    return this.received.toString('latin1');
  }

  /** Writes `bytes` one at a time every `everyMs` until the connection closes. */
  trickle(bytes: string, everyMs: number): void {
    let i = 0;
    const timer = setInterval(() => {
      if (this.socket.destroyed || i >= bytes.length) {
        clearInterval(timer);
        return;
      }
      this.write(bytes[i++]!);
    }, everyMs);
    this.socket.once('close', () => clearInterval(timer));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The status line and headers of the first response on a connection. */
function firstResponse(text: string): { status: number; headers: Record<string, string> } {
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine!)?.[1]), headers };
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The harness's server on a free port (listening once, however many tests ask). */
async function listening(h: Harness): Promise<number> {
  if (!h.runtime.app.server.listening) await h.runtime.app.listen({ host: '127.0.0.1', port: 0 });
  return (h.runtime.app.server.address() as { port: number }).port;
}

describe('slow clients', () => {
  const h = useHarness();

  it('closes a header trickle within 11 s, a body trickle on a 404 path within 31 s, an idle keep-alive after 5 s', async () => {
    const port = await listening(h);
    const headerTrickle = new Probe(port);
    await headerTrickle.connected();
    headerTrickle.write('GET /external/v1/encounters HTTP/1.1\r\nHost: x\r\n');
    headerTrickle.trickle('X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n', 1000);

    const bodyTrickle = new Probe(port);
    await bodyTrickle.connected();
    bodyTrickle.write('GET /no/such/path HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
    bodyTrickle.trickle('b'.repeat(1000), 2000);

    const idle = new Probe(port);
    await idle.connected();
    idle.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(200);
    const idleStart = performance.now();

    const [headerSeconds, bodySeconds, idleSeconds] = await Promise.all([
      headerTrickle.closedWithin(11),
      bodyTrickle.closedWithin(31),
      idle.closedWithin(11).then(() => (idle.closedAt! - idleStart) / 1000),
    ]);

    expect(headerSeconds, 'header trickle closed after the 10 s headers timeout').toBeGreaterThanOrEqual(9.5);
    expect(headerSeconds).toBeLessThanOrEqual(11);
    // Node's answer to a request that timed out, with the security headers, then the close.
    expect(firstResponse(headerTrickle.text())).toEqual({
      status: 408,
      headers: { connection: 'close', 'content-length': '0', ...SECURITY_HEADERS },
    });

    // The 404 is answered at once (the body of a GET is ignored); the trickle then goes at the 30 s request timeout.
    expect(firstResponse(bodyTrickle.text()).status).toBe(404);
    expect(bodyTrickle.text()).toContain('"reason_code":"route_not_found"');
    expect(bodySeconds, 'body trickle closed after the 30 s request timeout').toBeGreaterThanOrEqual(29.5);
    expect(bodySeconds).toBeLessThanOrEqual(31);

    expect(firstResponse(idle.text()).status).toBe(200);
    expect(idleSeconds, 'idle keep-alive closed after 5 s').toBeGreaterThanOrEqual(4.5);
    expect(idleSeconds).toBeLessThanOrEqual(6.5);
  }, 45_000);
});

describe('request bodies over 64 KiB', () => {
  const h = useHarness();
  const paths = [
    ['a public route', 'GET /external/v1/encounters'],
    ['an unknown path', 'GET /no/such/path'],
    ['a method the route does not allow', 'POST /external/v1/encounters'],
    ['the media path', 'GET /media/v1/x'],
  ];

  it.each(paths)('are refused with 413 on %s, unread, and the connection closed', async (_name, requestLine) => {
    const port = await listening(h);
    const probe = new Probe(port);
    await probe.connected();
    // 65 KiB declared; only the first 1 KiB is ever sent.
    probe.write(`${requestLine} HTTP/1.1\r\nHost: x\r\nContent-Length: ${65 * 1024}\r\n\r\n${'x'.repeat(1024)}`);
    const seconds = await probe.closedWithin(2);
    expect(seconds).toBeLessThan(2);
    expect(firstResponse(probe.text())).toEqual({
      status: 413,
      headers: {
        connection: 'close',
        'content-length': '0',
        date: expect.stringMatching(/ GMT$/),
        ...SECURITY_HEADERS,
      },
    });
    expect(probe.text().endsWith('\r\n\r\n'), 'no body').toBe(true);
  });

  it('serves a GET whose body is exactly 64 KiB (ignored) and keeps the connection', async () => {
    const port = await listening(h);
    const probe = new Probe(port);
    await probe.connected();
    probe.write(`GET /external/v1/encounters HTTP/1.1\r\nHost: x\r\nContent-Length: ${64 * 1024}\r\n\r\n`);
    probe.write('y'.repeat(64 * 1024));
    probe.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(500);
    const text = probe.text();
    expect(firstResponse(text).status).toBe(401);
    expect(text).toContain('"reason_code":"missing_bearer"');
    expect(text.match(/HTTP\/1\.1 /g)?.length, 'the second request on the same connection is answered').toBe(2);
    expect(probe.closedAt).toBeUndefined();
    probe.socket.destroy();
  });

  it('cuts a chunked body off by closing the connection once it passes 64 KiB', async () => {
    const port = await listening(h);
    const probe = new Probe(port);
    await probe.connected();
    probe.write('GET /external/v1/encounters HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = `4000\r\n${'z'.repeat(0x4000)}\r\n`;
    let sent = 0;
    while (!probe.socket.destroyed && sent < 64) {
      probe.write(chunk);
      sent++;
      await sleep(20);
    }
    await probe.closedWithin(5);
    expect(sent, 'closed long before 1 MiB was sent').toBeLessThan(40);
  });
});

describe('CHARTHERO_MAX_CONNECTIONS=2', () => {
  const h = useHarness({ env: { CHARTHERO_MAX_CONNECTIONS: '2' } });

  it('refuses the connection over the cap at once, and accepts again when one closes', async () => {
    const port = await listening(h);
    const first = new Probe(port);
    const second = new Probe(port);
    await Promise.all([first.connected(), second.connected()]);
    await sleep(100);
    const third = new Probe(port);
    await third.connected();
    expect(await third.closedWithin(1), 'closed as soon as accepted').toBeLessThan(1);
    expect(third.received.length, 'nothing answered').toBe(0);
    expect(first.closedAt).toBeUndefined();

    first.socket.destroy();
    await sleep(100);
    const fourth = new Probe(port);
    await fourth.connected();
    fourth.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await fourth.closedWithin(2);
    expect(firstResponse(fourth.text()).status).toBe(200);
    second.socket.destroy();
  });
});
