/** The operator's input, checked: each parser returns the value or throws a CliError naming the option. */
import { isValidId } from '../contract/ids.js';
import { ROUTE_IDS, type RouteId, SCOPES, type Scope } from '../contract/routes.js';
import { parseTimestamp } from '../time.js';
import { CliError } from './cli-error.js';

function list(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `all` or a comma-separated list of known scopes, in SCOPES order without repeats. */
export function parseScopes(text: string): Scope[] {
  const items = list(text);
  if (items.length === 1 && items[0] === 'all') return [...SCOPES];
  if (items.length === 0) throw new CliError('--scopes must list at least one scope, or all');
  for (const item of items) {
    if (!(SCOPES as readonly string[]).includes(item)) {
      throw new CliError(`unknown scope ${JSON.stringify(item)} (valid: ${SCOPES.join(', ')}, or all)`);
    }
  }
  return SCOPES.filter((scope) => items.includes(scope));
}

/** `all` or a comma-separated list of route ids, in ROUTE_IDS order without repeats. */
export function parseRouteIds(text: string, option: string): RouteId[] {
  const items = list(text);
  if (items.length === 1 && items[0] === 'all') return [...ROUTE_IDS];
  if (items.length === 0) throw new CliError(`${option} must list at least one route id, or all`);
  for (const item of items) {
    if (!(ROUTE_IDS as readonly string[]).includes(item)) {
      throw new CliError(`unknown route id ${JSON.stringify(item)} (valid: ${ROUTE_IDS.join(', ')}, or all)`);
    }
  }
  return ROUTE_IDS.filter((id) => items.includes(id));
}

/** A canonical decimal integer (no sign, no leading zero) within bounds. */
export function parseInteger(text: string, what: string, min: number, max: number): number {
  if (!/^(0|[1-9][0-9]*)$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new CliError(`${what} must be an integer from ${min} to ${max} (got ${JSON.stringify(text)})`);
  }
  return Number(text);
}

/** Requests per second: 0 means unlimited. */
export function parseRateLimit(text: string, what: string): number {
  return parseInteger(text, what, 0, 1_000_000);
}

export function parseTime(text: string, what: string): number {
  const ms = parseTimestamp(text);
  if (ms === null) {
    throw new CliError(
      `${what} must be an RFC 3339 date-time with offset, such as 2026-12-31T23:59:59Z (got ${JSON.stringify(text)})`,
    );
  }
  return ms;
}

/** Ids created here follow the import rule, so every organization can also be named in an import file. */
export function requireValidId(text: string, what: string): string {
  if (!isValidId(text)) {
    throw new CliError(
      `${what} must be 1 to 128 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-", starting with a letter or digit`,
    );
  }
  return text;
}
