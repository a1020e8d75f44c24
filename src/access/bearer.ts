/** Step 2 of the order of checks: the `Authorization` header → a bearer token. */
import { PublicError } from '../contract/errors.js';

const BEARER = /^Bearer(?:[ \t]+(.*))?$/i;

/**
 * `authorizationValues` holds every `Authorization` header as sent (Node keeps only the first of duplicates
 * in `headers`, so the caller reads them from the raw header list).
 */
export function bearerToken(authorizationValues: readonly string[]): string {
  if (authorizationValues.length === 0) throw new PublicError('missing_bearer');
  if (authorizationValues.length > 1) throw new PublicError('malformed_token');
  const match = BEARER.exec(authorizationValues[0]!.trim());
  const token = match?.[1]?.trim() ?? '';
  if (token === '') throw new PublicError('missing_bearer');
  return token;
}
