/** Every error leaves through here: the registry's body plus the headers the contract requires. */
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { PublicError } from '../contract/errors.js';
import { loggableError } from '../error-log.js';
import { isDatastoreFault } from '../store/db.js';
import './request-state.js';
import { JSON_CONTENT_TYPE } from './content-types.js';

/** Any thrown value → the public error it stands for; unexpected ones are logged (never shown) as internal. */
export function toPublicError(error: unknown, log: FastifyBaseLogger): PublicError {
  if (error instanceof PublicError) return error;
  if (isDatastoreFault(error)) {
    log.warn({ code: (error as { code?: unknown }).code }, 'datastore unavailable');
    return new PublicError('datastore_unavailable');
  }
  log.error({ error: loggableError(error) }, 'unexpected error');
  return new PublicError('internal_error');
}

export function sendError(reply: FastifyReply, error: PublicError, extraHeaders: Record<string, string> = {}) {
  reply.request.reasonCode = error.code;
  reply.headers(extraHeaders);
  if (error.status === 401) {
    const challenge = error.code === 'missing_bearer' ? '' : ', error="invalid_token"';
    reply.header('www-authenticate', `Bearer realm="charthero"${challenge}`);
  }
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  return reply.code(error.status).type(JSON_CONTENT_TYPE).send(error.toBody());
}
