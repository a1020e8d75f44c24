/**
 * A minimal HTTP/1.1 client over a raw socket, for sending requests no well-behaved client would (raw bytes in
 * the path, duplicate or malformed headers, invalid UTF-8). One request at a time per connection, keep-alive.
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  kind: 'response';
  status: number;
  /** Lower-case header names; every value of repeated headers. */
  headers: Map<string, string[]>;
  body: Buffer;
}

/** The server closed the connection without answering (e.g. a CONNECT request nobody handles). */
export interface RawClosed {
  kind: 'closed';
}

export interface RawTimeout {
  kind: 'timeout';
}

const HEADER_END = Buffer.from('\r\n\r\n');

interface Pending {
  head: boolean;
  resolve: (result: RawResponse | RawClosed | RawTimeout) => void;
  timer: NodeJS.Timeout;
}

export class RawConnection {
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private pending: Pending | undefined;
  private ended = false;

  constructor(
    private readonly port: number,
    private readonly host = '127.0.0.1',
    private readonly timeoutMs = 10_000,
  ) {}

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.port, this.host);
      this.socket = socket;
      socket.setNoDelay(true);
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
      // Events of a socket this connection has already replaced are ignored.
      socket.on('data', (chunk: Buffer) => {
        if (socket !== this.socket) return;
        this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
        this.tryParse();
      });
      socket.on('close', () => {
        if (socket !== this.socket) return;
        this.ended = true;
        this.tryParse();
        if (this.pending) this.finish({ kind: 'closed' });
      });
      socket.on('error', () => {});
    });
  }

  private finish(result: RawResponse | RawClosed | RawTimeout): void {
    const pending = this.pending!;
    this.pending = undefined;
    clearTimeout(pending.timer);
    pending.resolve(result);
  }

  private tryParse(): void {
    if (!this.pending) return;
    for (;;) {
      const end = this.buffer.indexOf(HEADER_END);
      if (end === -1) return;
      const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!)?.[1] ?? 0);
      const headers = new Map<string, string[]>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
      }
      const start = end + HEADER_END.length;
      if (status >= 100 && status < 200) {
        // Interim response (100 Continue): the real one follows.
        this.buffer = this.buffer.subarray(start);
        continue;
      }
      let bodyEnd: number;
      const length = headers.get('content-length')?.[0];
      if (this.pending.head || status === 204 || status === 304) {
        bodyEnd = start;
      } else if (headers.get('transfer-encoding')?.[0]?.toLowerCase() === 'chunked') {
        const decoded = decodeChunked(this.buffer, start);
        if (!decoded) return;
        this.buffer = this.buffer.subarray(decoded.end);
        this.finish({ kind: 'response', status, headers, body: decoded.body });
        return;
      } else if (length !== undefined) {
        bodyEnd = start + Number(length);
        if (this.buffer.length < bodyEnd) return;
      } else {
        // No length: the body runs to the end of the connection.
        if (!this.ended) return;
        bodyEnd = this.buffer.length;
      }
      const body = this.buffer.subarray(start, bodyEnd);
      this.buffer = this.buffer.subarray(bodyEnd);
      this.finish({ kind: 'response', status, headers, body: Buffer.from(body) });
      return;
    }
  }

  /** Sends one raw request and waits for its response (or the connection's end, or the timeout). */
  async send(request: Buffer, options: { head?: boolean } = {}): Promise<RawResponse | RawClosed | RawTimeout> {
    if (!this.socket || this.ended || this.socket.destroyed) {
      this.socket?.destroy();
      this.buffer = Buffer.alloc(0);
      this.ended = false;
      await this.open();
    }
    const socket = this.socket!;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.finish({ kind: 'timeout' });
        socket.destroy();
      }, this.timeoutMs);
      this.pending = { head: options.head ?? false, resolve, timer };
      socket.write(request);
    });
  }

  /** Whether the next send needs a new connection (the server closed this one or asked to). */
  reset(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  close(): void {
    this.socket?.destroy();
  }
}

function decodeChunked(buffer: Buffer, start: number): { body: Buffer; end: number } | null {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd === -1) return null;
    const size = Number.parseInt(buffer.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) return null;
    const dataStart = lineEnd + 2;
    if (size === 0) {
      const trailerEnd = buffer.indexOf(HEADER_END, lineEnd);
      if (trailerEnd === -1) return null;
      return { body: Buffer.concat(parts), end: trailerEnd + HEADER_END.length };
    }
    if (buffer.length < dataStart + size + 2) return null;
    parts.push(buffer.subarray(dataStart, dataStart + size));
    at = dataStart + size + 2;
  }
}
