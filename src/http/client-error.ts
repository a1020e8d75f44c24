/**
 * Requests Node's HTTP parser rejects before the application sees them (a malformed request line or header,
 * headers past the size limit): the one exception to the error body of docs/errors.md. They get the bare
 * answer Node itself would give — status line, `Connection: close`, no body — plus the security headers, instead of
 * Fastify's default JSON body of a different shape that clients might mistake for a contract error.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { SECURITY_HEADER_LINES } from './security-headers.js';

export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `Connection: close\r\nContent-Length: 0\r\n${SECURITY_HEADER_LINES}\r\n`,
    );
  }
  socket.destroy(error);
}
