/**
 * Generated raw HTTP requests for the fuzz test: methods, paths (route templates filled with odd ids), query
 * strings and headers, from a seeded PRNG so a failing run can be replayed with FUZZ_SEED.
 */

export interface FuzzKeys {
  /** Keys that reach the data (no rate limit). */
  unlimited: string[];
  /** Keys in other states (fixture keys: rate-limited, revoked, other organizations…). */
  others: string[];
  /** A valid signed media URL path (with its query). */
  mediaPath: string;
}

export interface FuzzRequest {
  bytes: Buffer;
  method: string;
  head: boolean;
  /** Short label of the generator branches taken, for the summary. */
  label: string;
}

/** mulberry32: small, fast, seedable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ENCOUNTERS = ['enc_a1', 'enc_a2', 'enc_a4_tie', 'enc_b1', 'enc_demo', 'enc_training', 'enc_unavailable'];
const DOCUMENTS = [
  'doc_amb',
  'doc_note',
  'doc_amb_draft',
  'doc_amb_norec',
  'doc_amb_lost',
  'doc_intake',
  'doc_hidden',
  'doc_a2',
  'doc_b1',
];
const ODD_IDS: (string | Buffer)[] = [
  '%00',
  'enc_a1%00',
  '..',
  '.',
  '%2e%2e',
  '%2E%2E%2F%2E%2E',
  '%2F',
  'enc_a1%2Fdocuments%2Fdoc_amb',
  '%zz',
  '%',
  '%E0%A4',
  '%C3%28',
  '%FF%FE',
  '%C3%A9t%C3%A9',
  '%F0%9F%98%80',
  'x'.repeat(10_240),
  '%41'.repeat(3000),
  'A'.repeat(100),
  'A'.repeat(101),
  'A'.repeat(257),
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  '-1',
  '0',
  "'%20or%201=1--",
  '%3Cscript%3E',
  '$%7Bjndi:ldap://x%7D',
  '%u0041',
  '%0d%0aSet-Cookie:%20x=1',
  'enc_a1;jsessionid=1',
  'enc_a1%23frag',
  'ENC_A1',
  '\\..\\',
  '',
];
/** Bytes the HTTP parser itself refuses in a request target (raw non-ASCII, whitespace, control characters). */
const RAW_IDS: (string | Buffer)[] = [
  Buffer.from('été', 'utf8'),
  Buffer.from('😀', 'utf8'),
  Buffer.from([0xff, 0xfe, 0x80]),
  ' enc_a1',
  'enc_a1\t',
  'enc_a1\u0001',
];
const LIST_KEYS = ['limit', 'offset', 'sort_order', 'start_at', 'end_at'];
const ODD_KEYS: (string | Buffer)[] = [
  'x',
  'Limit',
  'limit[]',
  'limit%5B%5D',
  '__proto__',
  'constructor',
  'k'.repeat(65),
  'k'.repeat(64),
  'a%01b',
  '%00',
  'caf%C3%A9',
  '%zz',
  '',
  'q'.repeat(300),
  'x%0Ay',
];
const RAW_QUERY: (string | Buffer)[] = [Buffer.from('clé', 'utf8'), 'field with space', Buffer.from('€', 'utf8')];
const VALUES: (string | Buffer)[] = [
  '',
  '0',
  '1',
  '2',
  '50',
  '100',
  '101',
  '10000',
  '10001',
  '-1',
  '+1',
  '%2B1',
  '01',
  '1e2',
  '1.0',
  '%201',
  '9'.repeat(40),
  '0x10',
  'asc',
  'desc',
  'ASC',
  'Desc',
  '2026-01-01T00:00:00Z',
  '2026-06-01T00:00:00.250Z',
  '2026-01-01T00:00:00+01:00',
  '2026-01-01T00:00:00%2B01:00',
  '2026-01-01T00:00:00+01:00',
  '2026-01-01T00:00:00%2001:00',
  '2026-02-30T00:00:00Z',
  '2026-01-01',
  '2026-01-01T24:00:00Z',
  '2026-01-01T00:00:60Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '%zz',
  '%',
  'x'.repeat(8192),
  '%E2%82%AC',
  'null',
  '[object%20Object]',
];
const METHODS = ['HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
const RARE_METHODS = ['TRACE', 'CONNECT', 'PROPFIND', 'get', 'G E T', 'BREW', 'SEARCH', 'M'.repeat(100)];

export function createFuzzer(seed: number, keys: FuzzKeys) {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => random() < p;
  const bytes = (value: string | Buffer) => (typeof value === 'string' ? Buffer.from(value, 'latin1') : value);

  function id(pool: readonly string[]): string | Buffer {
    const r = random();
    return r < 0.6 ? pick(pool) : r < 0.98 ? pick(ODD_IDS) : pick(RAW_IDS);
  }

  function path(labels: string[]): Buffer {
    const e = () => id(ENCOUNTERS);
    const d = () => id(DOCUMENTS);
    const join = (...parts: (string | Buffer)[]) => Buffer.concat(parts.map(bytes));
    const r = random();
    const doc = () => join('/external/v1/encounters/', e(), '/documents/', d());
    const templates: [number, string, () => Buffer][] = [
      [0.2, 'list', () => join('/external/v1/encounters')],
      [0.4, 'encounter', () => join('/external/v1/encounters/', e())],
      [0.55, 'document', doc],
      [0.67, 'transcript', () => join(doc(), '/transcript')],
      [0.79, 'audio', () => join(doc(), '/audio')],
    ];
    for (const [upTo, label, build] of templates) {
      if (r < upTo) {
        labels.push(label);
        return build();
      }
    }
    if (r < 0.84) {
      labels.push('media');
      const [mediaPath, mediaQuery] = keys.mediaPath.split('?') as [string, string];
      const tamper = int(5);
      if (tamper === 0) return join(keys.mediaPath);
      if (tamper === 1) return join(mediaPath, '?', mediaQuery.replace(/sig=./, 'sig=A'));
      if (tamper === 2) return join('/media/v1/', pick(ODD_IDS), '?v=1&exp=99999999999&sig=', pick(ODD_IDS));
      if (tamper === 3) return join(mediaPath, '?', mediaQuery, '&', mediaQuery);
      return join(mediaPath.slice(0, -2), '?', mediaQuery);
    }
    labels.push('other');
    return join(
      pick([
        '/',
        '/healthz',
        '/readyz',
        '/openapi/v1/openapi.json',
        '/external/v1',
        '/external/v1/',
        '/external',
        '/external/v1/encounters/',
        '//external/v1/encounters',
        '/external/v1//encounters',
        '/EXTERNAL/V1/ENCOUNTERS',
        '/external/v2/encounters',
        '/external/v1/encounters/enc_a1/documents',
        '/external/v1/encounters/enc_a1/documents/',
        '/external/v1/encounters/enc_a1/documents/doc_amb/audio/extra',
        '/external/v1/encounters/enc_a1/documents/doc_amb/transcript/',
        '/external/v1/patients',
        '/external/v1/encounters/%2e%2e/%2e%2e/healthz',
        '/external/v1/../../healthz',
        '/external/v1/./encounters',
        '*',
        'http://127.0.0.1/external/v1/encounters',
        '/media/v1/',
        '/media/v1',
        '/%00',
        '/favicon.ico',
      ]),
    );
  }

  function query(labels: string[]): Buffer {
    const r = random();
    if (r < 0.35) return Buffer.alloc(0);
    if (r < 0.4) return Buffer.from('?');
    labels.push('query');
    const parts: Buffer[] = [];
    const count = 1 + int(4);
    for (let i = 0; i < count; i++) {
      const key = chance(0.75) ? pick(LIST_KEYS) : chance(0.95) ? pick(ODD_KEYS) : pick(RAW_QUERY);
      const value = chance(0.99) ? pick(VALUES) : pick(RAW_QUERY);
      if (chance(0.08))
        parts.push(bytes(key)); // a key without '='
      else parts.push(Buffer.concat([bytes(key), Buffer.from('='), bytes(value)]));
      if (chance(0.1)) parts.push(parts[parts.length - 1]!); // the same pair again
    }
    const separator = chance(0.05) ? '&&' : chance(0.03) ? ';' : '&';
    const joined: Buffer[] = [];
    parts.forEach((part, index) => {
      if (index > 0) joined.push(Buffer.from(separator));
      joined.push(part);
    });
    if (chance(0.03)) joined.push(Buffer.from('#fragment'));
    return Buffer.concat([Buffer.from('?'), ...joined]);
  }

  function authorization(labels: string[]): Buffer[] {
    const key = chance(0.85) ? pick(keys.unlimited) : pick(keys.others);
    const r = random();
    const header = (value: string | Buffer) => Buffer.concat([Buffer.from('Authorization: '), bytes(value)]);
    if (r < 0.8) {
      labels.push('auth:key');
      return [header(`Bearer ${key}`)];
    }
    labels.push('auth:odd');
    const odd = int(16);
    switch (odd) {
      case 0:
        return [];
      case 1:
        return [header('Bearer')];
      case 2:
        return [header('Bearer ')];
      case 3:
        return [header(`bearer   ${key}`)];
      case 4:
        return [header(`Basic ${Buffer.from('user:pass').toString('base64')}`)];
      case 5:
        return [header(`Bearer ${key}`), header(`Bearer ${key}`)];
      case 6:
        return [header(`Bearer ${key}`), header('Bearer other')];
      case 7:
        return [header(`Bearer ${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`)];
      case 8:
        return [header(`Bearer ${key.replace('_test_', '_live_')}`)];
      case 9:
        return [header(`Bearer ${'A'.repeat(10_000)}`)];
      case 10:
        return [header(Buffer.concat([Buffer.from('Bearer '), Buffer.from([0xff, 0xfe, 0xc3, 0x28])]))];
      case 11:
        return [header(`Bearer ${key} extra`)];
      case 12:
        return [header(`Bearer "${key}"`)];
      case 13:
        return [header(Buffer.from(`Bearer ${key}\u0001`, 'latin1'))];
      case 14:
        return [header(`Bearer ch_sk_test_${'0'.repeat(38)}`)];
      default:
        return [header(`Token ${key}`)];
    }
  }

  function otherHeaders(labels: string[], method: string): Buffer[] {
    const headers: Buffer[] = [];
    const add = (name: string, value: string | Buffer) =>
      headers.push(Buffer.concat([Buffer.from(`${name}: `), bytes(value)]));
    if (chance(0.3)) {
      add(
        'X-Request-Id',
        pick([
          'fuzz-1',
          'a'.repeat(128),
          'a'.repeat(129),
          'x'.repeat(8000),
          'has space',
          'ümlaut',
          Buffer.from([0xff, 0xfe]),
          '',
          'ok.id_-1',
          '../../etc/passwd',
          '<script>',
        ]),
      );
      if (chance(0.1)) add('X-Request-Id', 'second');
    }
    if (chance(0.3)) {
      add(
        'User-Agent',
        pick(['fuzz/1.0', 'x'.repeat(5000), Buffer.from('agent ü', 'utf8'), Buffer.from([0x80, 0xff])]),
      );
    }
    if (chance(0.1))
      add('Range', pick(['bytes=0-10', 'bytes=-5', 'bytes=10-', 'bytes=5-1', 'bytes=0-1,3-4', 'lines=1-2']));
    if (chance(0.1)) add('Accept', pick(['*/*', 'text/html', 'application/json;q=0', '']));
    if (chance(0.05))
      add('Content-Type', pick(['application/json', 'text/plain', 'multipart/form-data; boundary=x', '']));
    if (chance(0.03)) add('Expect', '100-continue');
    if (chance(0.02)) {
      labels.push('big-headers');
      for (let i = 0; i < 5; i++) add(`X-Big-${i}`, 'y'.repeat(4000)); // past Node's 16 KB header limit: 431
    }
    if (chance(0.02)) {
      labels.push('bad-header');
      headers.push(
        pick([
          Buffer.from('Bad Header: x'),
          Buffer.from('X-Folded: a\r\n  b'),
          Buffer.from('X-Ctl: a\u0000b', 'latin1'),
          Buffer.from(': empty-name'),
          Buffer.from('NoColon'),
        ]),
      );
    }
    if (method !== 'GET' && method !== 'HEAD' && chance(0.5)) {
      labels.push('body');
      const body = chance(0.5) ? '{"a":1}' : 'z'.repeat(int(3000));
      add('Content-Length', String(body.length));
      headers.push(Buffer.from(`\r\n${body}`)); // marker: body follows the blank line (handled by build)
    }
    return headers;
  }

  return function next(): FuzzRequest {
    const labels: string[] = [];
    const method = chance(0.8) ? 'GET' : chance(0.1) ? pick(RARE_METHODS) : pick(METHODS);
    labels.push(method.length > 10 ? 'long-method' : method);
    const target = Buffer.concat([path(labels), query(labels)]);
    const version = chance(0.97) ? 'HTTP/1.1' : pick(['HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/9']);
    const headerLines: Buffer[] = [];
    if (chance(0.99)) headerLines.push(Buffer.from('Host: 127.0.0.1'));
    headerLines.push(...authorization(labels));
    const others = otherHeaders(labels, method);
    let body: Buffer = Buffer.alloc(0);
    for (const line of others) {
      if (line[0] === 0x0d) body = line.subarray(2);
      else headerLines.push(line);
    }
    const bytesOut = Buffer.concat([
      Buffer.from(`${method} `, 'latin1'),
      target,
      Buffer.from(` ${version}\r\n`),
      ...headerLines.flatMap((line) => [line, Buffer.from('\r\n')]),
      Buffer.from('\r\n'),
      body,
    ]);
    return { bytes: bytesOut, method, head: method === 'HEAD', label: labels.join(' ') };
  };
}
