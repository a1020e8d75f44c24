/** X-Request-Id: a valid incoming id is echoed, anything else is replaced by a new one. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { mayCarryKeyMaterial } from '../access/key-format.js';

const VALID_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  // The request id is echoed and logged, so one that carries an API key (pasted by mistake) is replaced.
  return typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) && !mayCarryKeyMaterial(incoming)
    ? incoming
    : randomUUID();
}
