/**
 * A strict AWS Signature Version 4 checker in front of the test S3 server (s3rver accepts unsigned requests and any
 * region, so a regression to unsigned or mis-scoped URLs would pass against it alone). Every request must carry a
 * valid SigV4 signature — in the Authorization header, or as a presigned URL's query — by the known test
 * credentials, scoped to the expected region and to `s3`, dated within 15 minutes (header) or unexpired (query);
 * a signed payload hash must match the body. Anything else is 403 with an S3-style XML error naming the rule;
 * accepted requests are forwarded unchanged.
 *
 * The canonical request follows the AWS documentation ("Create a canonical request for Signature Version 4"),
 * written here with node:crypto so it checks the SDK rather than sharing its code.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SigV4FrontOptions {
  upstream: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service?: string;
  now?: () => number;
}

export interface SigV4Front {
  endpoint: string;
  /** Every refusal so far, newest last: its reason (what the XML error says). */
  refusals: string[];
  close(): Promise<void>;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 15 * 60_000;
const MAX_PRESIGN_SECONDS = 604_800;
const MAX_BODY_BYTES = 16 * 1024 * 1024;

class Refusal extends Error {}
const refuse = (message: string): never => {
  throw new Refusal(message);
};

/** RFC 3986 encoding as SigV4 wants it: only unreserved characters stay, hex digits upper case. */
function awsEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return refuse('malformed percent-encoding');
  }
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** `20260101T000000Z` → epoch ms. */
function parseAmzDate(value: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value) ?? refuse('malformed X-Amz-Date');
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
}

function headerValues(request: IncomingMessage): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!.toLowerCase();
    values.set(name, [...(values.get(name) ?? []), request.rawHeaders[i + 1]!]);
  }
  return values;
}

interface Parsed {
  credential: string;
  signedHeaders: string;
  signature: string;
  amzDate: string;
  payloadHash: string;
  /** Query pairs that take part in the canonical query (a presigned URL's signature does not). */
  query: [string, string][];
  presigned: boolean;
}

function parseRequest(url: URL, headers: Map<string, string[]>): Parsed {
  const pairs = (url.search.slice(1) === '' ? [] : url.search.slice(1).split('&')).map((part): [string, string] => {
    const at = part.indexOf('=');
    return at === -1 ? [decode(part), ''] : [decode(part.slice(0, at)), decode(part.slice(at + 1))];
  });
  const one = (name: string) => headers.get(name)?.[0];
  const authorization = one('authorization');
  if (authorization !== undefined) {
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(
        authorization,
      ) ?? refuse('malformed Authorization header');
    return {
      credential: match[1]!,
      signedHeaders: match[2]!,
      signature: match[3]!,
      amzDate: one('x-amz-date') ?? refuse('missing X-Amz-Date'),
      payloadHash: one('x-amz-content-sha256') ?? refuse('missing X-Amz-Content-Sha256'),
      query: pairs,
      presigned: false,
    };
  }
  const param = (name: string) => pairs.find(([key]) => key === name)?.[1];
  if (param('X-Amz-Signature') === undefined) refuse('request is not signed');
  if (param('X-Amz-Algorithm') !== ALGORITHM) refuse('X-Amz-Algorithm must be AWS4-HMAC-SHA256');
  const signature = param('X-Amz-Signature')!;
  if (!/^[0-9a-f]{64}$/.test(signature)) refuse('malformed X-Amz-Signature');
  const expires = param('X-Amz-Expires') ?? refuse('missing X-Amz-Expires');
  if (!/^\d{1,6}$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_PRESIGN_SECONDS) {
    refuse('X-Amz-Expires must be 1 to 604800');
  }
  return {
    credential: param('X-Amz-Credential') ?? refuse('missing X-Amz-Credential'),
    signedHeaders: param('X-Amz-SignedHeaders') ?? refuse('missing X-Amz-SignedHeaders'),
    signature,
    amzDate: param('X-Amz-Date') ?? refuse('missing X-Amz-Date'),
    payloadHash: 'UNSIGNED-PAYLOAD',
    query: pairs.filter(([key]) => key !== 'X-Amz-Signature'),
    presigned: true,
  };
}

function verify(request: IncomingMessage, body: Buffer, options: SigV4FrontOptions, nowMs: number): void {
  const url = new URL(request.url ?? '/', 'http://front');
  const headers = headerValues(request);
  const parsed = parseRequest(url, headers);

  const [accessKeyId, date, region, service, terminator, ...extra] = parsed.credential.split('/');
  if (extra.length > 0 || terminator !== 'aws4_request') refuse('malformed credential scope');
  if (accessKeyId !== options.accessKeyId) refuse('unknown access key');
  if (region !== options.region) refuse(`credential scope region must be ${options.region}`);
  if (service !== (options.service ?? 's3')) refuse(`credential scope service must be ${options.service ?? 's3'}`);
  const signedAt = parseAmzDate(parsed.amzDate);
  if (date !== parsed.amzDate.slice(0, 8)) refuse('credential scope date differs from X-Amz-Date');
  if (parsed.presigned) {
    const expires = Number(parsed.query.find(([key]) => key === 'X-Amz-Expires')![1]);
    if (nowMs > signedAt + expires * 1000) refuse('presigned URL has expired');
    if (signedAt - nowMs > MAX_SKEW_MS) refuse('presigned URL is dated in the future');
  } else if (Math.abs(nowMs - signedAt) > MAX_SKEW_MS) {
    refuse('request time is too skewed');
  }

  const signedHeaders = parsed.signedHeaders.split(';');
  if (signedHeaders.join(';') !== [...signedHeaders].sort().join(';')) refuse('SignedHeaders must be sorted');
  if (!signedHeaders.includes('host')) refuse('host must be signed');
  for (const name of headers.keys()) {
    if (name.startsWith('x-amz-') && !signedHeaders.includes(name)) refuse(`${name} must be signed`);
  }
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const values = headers.get(name) ?? refuse(`signed header ${name} is missing`);
      return `${name}:${values.map((value) => value.trim().replace(/\s+/g, ' ')).join(',')}\n`;
    })
    .join('');

  if (!parsed.presigned && parsed.payloadHash !== 'UNSIGNED-PAYLOAD') {
    if (!/^[0-9a-f]{64}$/.test(parsed.payloadHash)) refuse(`unsupported payload signing ${parsed.payloadHash}`);
    if (sha256Hex(body) !== parsed.payloadHash) refuse('body does not match X-Amz-Content-Sha256');
  }

  const canonicalUri = url.pathname
    .split('/')
    .map((segment) => awsEncode(decode(segment)))
    .join('/');
  const canonicalQuery = parsed.query
    .map(([key, value]) => [awsEncode(key), awsEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalRequest = [
    request.method,
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    parsed.signedHeaders,
    parsed.payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, parsed.amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${options.secretAccessKey}`, date!), region!), service!), 'aws4_request');
  const expected = hmac(signingKey, stringToSign);
  if (!timingSafeEqual(expected, Buffer.from(parsed.signature, 'hex'))) refuse('signature does not match');
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) request.destroy(new Error('body too large for the test front'));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export async function startSigV4Front(options: SigV4FrontOptions): Promise<SigV4Front> {
  const upstream = new URL(options.upstream);
  const refusals: string[] = [];
  const handle = async (incoming: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(incoming);
    try {
      verify(incoming, body, options, (options.now ?? Date.now)());
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      refusals.push(error.message);
      response
        .writeHead(403, { 'content-type': 'application/xml' })
        .end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>${error.message}</Message></Error>`,
        );
      return;
    }
    // Forwarded as received (the Host header included, so s3rver sees what was signed).
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on('error', () => response.destroy());
    forward.end(body);
  };
  const server: Server = createServer((incoming, response) => {
    handle(incoming, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refusals,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
