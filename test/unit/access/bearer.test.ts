/** Step 2 of the order of checks: the Authorization header → a bearer token, or missing_bearer / malformed_token. */
import { describe, expect, it } from 'vitest';
import { bearerToken } from '../../../src/access/bearer.js';
import { PublicError } from '../../../src/contract/errors.js';

function reason(values: string[]): string {
  try {
    return `token:${bearerToken(values)}`;
  } catch (error) {
    expect(error).toBeInstanceOf(PublicError);
    return (error as PublicError).code;
  }
}

describe('bearerToken', () => {
  it.each([
    [[], 'missing_bearer'],
    [[''], 'missing_bearer'],
    [['Basic dXNlcjpwYXNz'], 'missing_bearer'],
    [['Bearer'], 'missing_bearer'],
    [['Bearer   '], 'missing_bearer'],
    [['Token abc'], 'missing_bearer'],
    [['Bearerabc'], 'missing_bearer'],
    [['Bearer abc', 'Bearer abc'], 'malformed_token'],
    [['Bearer abc', ''], 'malformed_token'],
    [['Bearer abc'], 'token:abc'],
    [['bearer abc'], 'token:abc'],
    [['BEARER\tabc'], 'token:abc'],
    [['Bearer  abc  '], 'token:abc'],
    [['Bearer a b'], 'token:a b'],
  ])('%j → %s', (values, expected) => {
    expect(reason(values)).toBe(expected);
  });
});
