import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyDigest } from '../../../src/access/digest-keyring.js';
import { decodeObjectToken, signMediaUrl, verifyMediaUrl } from '../../../src/media/signed-urls.js';
import { keyringEntry, keyringOf } from '../../media/helpers.js';

const BASE = 'https://api.example.test';
const KEY = 'org_x/doc_y.wav';
const NOW = Date.UTC(2026, 4, 25, 14, 0, 0);
const EXPIRES = NOW + 900_000;

const v1 = keyringEntry(1);
const v2 = keyringEntry(2);
const keyring = keyringOf(v1, v2);

function parts(url: string): { token: string; query: URLSearchParams; path: string } {
  const parsed = new URL(url);
  const prefix = '/media/v1/';
  return { token: parsed.pathname.slice(prefix.length), query: parsed.searchParams, path: parsed.pathname };
}

function queryObject(query: URLSearchParams): Record<string, string> {
  return Object.fromEntries(query.entries());
}

const signed = signMediaUrl({ publicBaseUrl: BASE, objectKey: KEY, expiresAtMs: EXPIRES, entry: v2 });

describe('signMediaUrl', () => {
  it('has the documented shape', () => {
    const { token, query, path } = parts(signed);
    expect(signed.startsWith(`${BASE}/media/v1/`)).toBe(true);
    expect(path).toBe(`/media/v1/${Buffer.from(KEY).toString('base64url')}`);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect([...query.keys()]).toEqual(['v', 'exp', 'sig']);
    expect(query.get('v')).toBe('2');
    expect(query.get('exp')).toBe(String(EXPIRES / 1000));
    expect(query.get('sig')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('tolerates a trailing slash on the base URL and keeps a base path', () => {
    const url = signMediaUrl({ publicBaseUrl: `${BASE}/api/`, objectKey: KEY, expiresAtMs: EXPIRES, entry: v2 });
    expect(url.startsWith(`${BASE}/api/media/v1/`)).toBe(true);
  });

  it('refuses an invalid object key', () => {
    expect(() => signMediaUrl({ publicBaseUrl: BASE, objectKey: '../x', expiresAtMs: EXPIRES, entry: v2 })).toThrow();
  });
});

describe('verifyMediaUrl', () => {
  const { token, query } = parts(signed);

  it('round-trips to the object key (URLSearchParams or a parsed query object)', () => {
    expect(verifyMediaUrl(keyring, token, query, NOW)).toBe(KEY);
    expect(verifyMediaUrl(keyring, token, queryObject(query), NOW)).toBe(KEY);
  });

  it('round-trips non-ASCII and long keys', () => {
    for (const objectKey of [
      'org_ü/dóc 1.wav',
      `org_x/${'a'.repeat(240)}/${'b'.repeat(240)}/${'c'.repeat(240)}/${'d'.repeat(240)}.wav`,
    ]) {
      const url = signMediaUrl({ publicBaseUrl: BASE, objectKey, expiresAtMs: EXPIRES, entry: v2 });
      const p = parts(url);
      expect(verifyMediaUrl(keyring, p.token, p.query, NOW)).toBe(objectKey);
    }
  });

  it('rejects a tampered signature', () => {
    const sig = query.get('sig')!;
    const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    expect(verifyMediaUrl(keyring, token, { ...queryObject(query), sig: flipped }, NOW)).toBeNull();
  });

  it('rejects another object key under the same signature', () => {
    const other = Buffer.from('org_x/doc_z.wav').toString('base64url');
    expect(verifyMediaUrl(keyring, other, query, NOW)).toBeNull();
  });

  it('rejects a tampered expiry', () => {
    const exp = String(Number(query.get('exp')) + 1);
    expect(verifyMediaUrl(keyring, token, { ...queryObject(query), exp }, NOW)).toBeNull();
  });

  it('rejects a tampered version', () => {
    expect(verifyMediaUrl(keyring, token, { ...queryObject(query), v: '1' }, NOW)).toBeNull();
  });

  it('expires at exp exactly', () => {
    expect(verifyMediaUrl(keyring, token, query, EXPIRES - 1)).toBe(KEY);
    expect(verifyMediaUrl(keyring, token, query, EXPIRES)).toBeNull();
    expect(verifyMediaUrl(keyring, token, query, EXPIRES + 3_600_000)).toBeNull();
  });

  it('rejects a version the keyring does not hold', () => {
    expect(verifyMediaUrl(keyringOf(v1), token, query, NOW)).toBeNull();
    expect(verifyMediaUrl(keyringOf(keyringEntry(2)), token, query, NOW)).toBeNull();
  });

  it('keeps verifying URLs signed with an older version after a rotation', () => {
    const old = parts(signMediaUrl({ publicBaseUrl: BASE, objectKey: KEY, expiresAtMs: EXPIRES, entry: v1 }));
    expect(verifyMediaUrl(keyringOf(v1, v2, keyringEntry(3)), old.token, old.query, NOW)).toBe(KEY);
  });

  it('rejects repeated, missing and non-canonical pieces', () => {
    const q = queryObject(query);
    const cases: unknown[] = [
      { ...q, v: [q.v, q.v] },
      { ...q, sig: [q.sig] },
      { v: q.v, exp: q.exp },
      { ...q, v: '02' },
      { ...q, v: '+2' },
      { ...q, exp: `${q.exp}.0` },
      { ...q, exp: ` ${q.exp}` },
      { ...q, sig: `${q.sig}=` },
      { ...q, sig: q.sig!.slice(0, 42) },
      { ...q, sig: `${q.sig}A` },
      new URLSearchParams(`v=2&v=2&exp=${q.exp}&sig=${q.sig}`),
    ];
    for (const candidate of cases) expect(verifyMediaUrl(keyring, token, candidate, NOW)).toBeNull();
    // A token that decodes to the same bytes but is not the canonical encoding.
    const lastChar = token.at(-1)!;
    const sibling = `${token.slice(0, -1)}${lastChar === 'w' ? 'x' : 'w'}`;
    expect(verifyMediaUrl(keyring, sibling, query, NOW)).toBeNull();
    expect(verifyMediaUrl(keyring, `${token}=`, query, NOW)).toBeNull();
  });

  it('never throws on garbage', () => {
    const fixed: unknown[] = [undefined, null, 0, '', '%', '../', {}, [], 'a'.repeat(100_000), Symbol('x')];
    for (const t of fixed) {
      for (const q of fixed) expect(verifyMediaUrl(keyring, t, q, NOW)).toBeNull();
    }
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.dictionary(fc.constantFrom('v', 'exp', 'sig', 'x'), fc.oneof(fc.string(), fc.array(fc.string()))),
        (t, q) => verifyMediaUrl(keyring, t, q, NOW) === null,
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (t, q) => verifyMediaUrl(keyring, t, q, NOW) === null),
      { numRuns: 300 },
    );
  });

  it('signs with a key of its own: a URL signature never equals a key digest', () => {
    const sigHex = Buffer.from(query.get('sig')!, 'base64url').toString('hex');
    const signedString = `${query.get('v')}\n${query.get('exp')}\n${KEY}`;
    expect(sigHex).not.toBe(keyDigest(v2, signedString));
    expect(sigHex).not.toBe(keyDigest(v2, KEY));
  });
});

describe('decodeObjectToken', () => {
  it('only yields valid keys', () => {
    const encode = (key: string) => Buffer.from(key).toString('base64url');
    expect(decodeObjectToken(encode(KEY))).toBe(KEY);
    for (const bad of ['../etc/passwd', '/abs', 'a/../b', 'a\\b', 'a\0b', '', 'a//b', 'x.meta.json']) {
      expect(decodeObjectToken(encode(bad))).toBeNull();
    }
    expect(decodeObjectToken(Buffer.from([0xff, 0xfe]).toString('base64url'))).toBeNull();
  });
});
