/**
 * Fuzzing the running server over a real socket: at least 100 000 generated requests (methods, paths with odd
 * ids, query strings, headers, raw bytes) from keep-alive connections. Zero 5xx, zero crashes or hangs, and every
 * error the application answers matches the error schema of CONTRACT.md section 2. Answers Node's HTTP parser gives
 * before the application sees a request (400, 431, no X-Request-Id) are counted and reported on their own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REASONS, type ReasonCode } from '../../src/contract/reasons.js';
import { createFuzzer } from './support/fuzz-requests.js';
import { RawConnection, type RawResponse } from './support/raw-http.js';

const TOTAL = Number(process.env.FUZZ_REQUESTS ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_525);
const CONNECTIONS = 12;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

interface ServerInfo {
  port: number;
  unlimited: string[];
  others: string[];
  mediaPath: string;
}

let server: ChildProcess;
let info: ServerInfo;
let output = '';
let stderr = '';

/** The next complete stdout line of the server process. */
async function nextLine(consumed: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const lines = output.split('\n');
    if (lines.length > consumed + 1) return lines[consumed]!;
    if (server.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the fuzz server printed no line ${consumed + 1}: ${stderr.slice(0, 2000)}`);
}

beforeAll(async () => {
  server = spawn(process.execPath, ['--import', 'tsx', 'test/hardening/support/fuzz-server.ts'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, CHARTHERO_REDIS_URL: '' },
  });
  server.stdout!.on('data', (chunk) => (output += chunk));
  server.stderr!.on('data', (chunk) => (stderr += chunk));
  info = JSON.parse(await nextLine(0, 60_000)) as ServerInfo;
});
afterAll(() => {
  if (server.exitCode === null) server.kill('SIGKILL');
});

/** Why a response breaks the contract, or null when it is fine. */
function violation(response: RawResponse, method: string): string | null {
  const status = response.status;
  if (status >= 500) return `status ${status}`;
  const requestId = response.headers.get('x-request-id');
  if (!requestId) {
    // The parser's answer before the application saw the request: 400 or 431, bare, closing the connection.
    if (status !== 400 && status !== 431) return `parser answer with status ${status}`;
    if (response.body.length !== 0) return 'parser answer with a body';
    return response.headers.get('connection')?.[0] === 'close' ? null : 'parser answer without Connection: close';
  }
  if (requestId.length !== 1 || !REQUEST_ID.test(requestId[0]!)) return 'bad X-Request-Id';
  if (response.headers.get('cache-control')?.[0] !== 'no-store') return 'no Cache-Control: no-store';
  if (response.headers.get('x-content-type-options')?.[0] !== 'nosniff') return 'no nosniff';
  if (response.headers.has('access-control-allow-origin')) return 'CORS header';
  if (status < 400) return null;
  if (status === 401 && !response.headers.get('www-authenticate')?.[0]?.startsWith('Bearer realm="charthero"')) {
    return '401 without WWW-Authenticate';
  }
  if ((status === 429 || status === 503) && !/^\d+$/.test(response.headers.get('retry-after')?.[0] ?? '')) {
    return `${status} without Retry-After`;
  }
  if (status === 405 && response.headers.get('allow')?.[0] !== 'GET, HEAD') return '405 without Allow';
  if (response.headers.get('content-type')?.[0] !== 'application/json; charset=utf-8') return 'error content type';
  if (method === 'HEAD') return response.body.length === 0 ? null : 'HEAD with a body';
  let body: unknown;
  try {
    body = JSON.parse(response.body.toString('utf8'));
  } catch {
    return 'error body is not JSON';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'error body is not an object';
  const keys = Object.keys(body);
  if (keys.join() !== 'error,reason_code,message,field') return `error body keys ${keys.join()}`;
  const { error, reason_code: code, message, field } = body as Record<string, unknown>;
  if (typeof code !== 'string' || !(code in REASONS)) return `unknown reason_code ${String(code)}`;
  const spec = REASONS[code as ReasonCode];
  if (spec.status !== status) return `${code} with status ${status}`;
  if (spec.error !== error) return `${code} with error ${String(error)}`;
  if (typeof message !== 'string' || message.length === 0) return 'no message';
  if (field !== null) {
    if (spec.field === null) return `${code} with a field`;
    if (typeof field !== 'string' || field.length === 0 || field.length > 64 || CONTROL.test(field)) {
      return `bad field ${JSON.stringify(field)}`;
    }
  }
  if (/ch_sk_|sig=|\/tmp\/|SQLITE|select |at .*\.ts:/i.test(message)) return 'message reveals internals';
  return null;
}

it(`survives ${TOTAL} generated requests with zero 5xx, and every error body matches the schema`, async () => {
  const { port, unlimited } = info;
  const next = createFuzzer(SEED, info);

  const byStatus = new Map<number, number>();
  const byReason = new Map<string, number>();
  const parserAnswers = new Map<number, number>();
  const problems: { problem: string; request: string; status: number; body: string }[] = [];
  let closedWithoutAnswer = 0;
  let closedWithoutAnswerNotConnect = 0;
  let timeouts = 0;
  let sent = 0;
  let deepHits = 0;
  const started = performance.now();

  async function worker(): Promise<void> {
    const connection = new RawConnection(port);
    try {
      while (sent < TOTAL) {
        sent++;
        const request = next();
        const result = await connection.send(request.bytes, { head: request.head });
        if (result.kind === 'timeout') {
          timeouts++;
          problems.push({
            problem: 'timeout',
            request: request.bytes.subarray(0, 300).toString('latin1'),
            status: 0,
            body: '',
          });
          connection.reset();
          continue;
        }
        if (result.kind === 'closed') {
          closedWithoutAnswer++;
          if (request.method !== 'CONNECT') {
            closedWithoutAnswerNotConnect++;
            if (problems.length < 50) {
              problems.push({
                problem: 'closed without an answer',
                request: request.bytes.subarray(0, 300).toString('latin1'),
                status: 0,
                body: '',
              });
            }
          }
          connection.reset();
          continue;
        }
        byStatus.set(result.status, (byStatus.get(result.status) ?? 0) + 1);
        if (!result.headers.has('x-request-id')) {
          parserAnswers.set(result.status, (parserAnswers.get(result.status) ?? 0) + 1);
        } else if (result.status >= 400 && request.method !== 'HEAD') {
          try {
            const code = JSON.parse(result.body.toString('utf8')).reason_code as string;
            byReason.set(code, (byReason.get(code) ?? 0) + 1);
            if (!['missing_bearer', 'malformed_token', 'route_not_found', 'method_not_allowed'].includes(code))
              deepHits++;
          } catch {}
        } else if (result.status < 300) {
          deepHits++;
        }
        const problem = violation(result, request.method);
        if (problem && problems.length < 50) {
          problems.push({
            problem,
            request: request.bytes.subarray(0, 300).toString('latin1'),
            status: result.status,
            body: result.body.subarray(0, 300).toString('utf8'),
          });
        }
        if (result.headers.get('connection')?.[0]?.toLowerCase() === 'close') connection.reset();
        else if (!result.headers.has('x-request-id')) connection.reset();
      }
    } finally {
      connection.close();
    }
  }

  await Promise.all(Array.from({ length: CONNECTIONS }, () => worker()));
  const seconds = (performance.now() - started) / 1000;

  // Still alive and well after the run.
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(health.status).toBe(200);
  const list = await fetch(`http://127.0.0.1:${port}/external/v1/encounters?limit=1`, {
    headers: { authorization: `Bearer ${unlimited[0]}` },
  });
  expect(list.status).toBe(200);
  // The process is still the one we started, and shuts down cleanly; error-level log lines mean a 500 or a crash.
  expect(server.exitCode).toBeNull();
  server.stdin!.end();
  const report = JSON.parse(await nextLine(1, 30_000)) as { errorLines: string[]; logLines: number };
  const exitCode = await new Promise<number | null>((resolve) =>
    server.exitCode !== null ? resolve(server.exitCode) : server.once('exit', (code) => resolve(code)),
  );
  expect(exitCode).toBe(0);
  const unexpected = report.errorLines;

  const sorted = <K>(map: Map<K, number>) => [...map.entries()].sort((a, b) => b[1] - a[1]);
  console.log(
    [
      `fuzz: ${sent} requests in ${seconds.toFixed(1)} s (${Math.round(sent / seconds)}/s) over ${CONNECTIONS} keep-alive connections to a server process, seed ${SEED}`,
      `  by status:        ${sorted(byStatus)
        .map(([s, c]) => `${s}=${c}`)
        .join('  ')}`,
      `  Node parser answers (no X-Request-Id, not the application): ${
        sorted(parserAnswers)
          .map(([s, c]) => `${s}=${c}`)
          .join('  ') || 'none'
      }`,
      `  connections closed without an answer: ${closedWithoutAnswer} (CONNECT: ${closedWithoutAnswer - closedWithoutAnswerNotConnect}, other: ${closedWithoutAnswerNotConnect})`,
      `  timeouts: ${timeouts}   5xx: ${sorted(byStatus)
        .filter(([s]) => s >= 500)
        .reduce(
          (n, [, c]) => n + c,
          0,
        )}   schema violations: ${problems.length}   error-level log lines: ${unexpected.length} (of ${report.logLines})`,
      `  answers past authentication (2xx or a data/query reason): ${deepHits}`,
      `  by reason_code:   ${sorted(byReason)
        .map(([s, c]) => `${s}=${c}`)
        .join('  ')}`,
    ].join('\n'),
  );
  if (problems.length > 0) console.log(JSON.stringify(problems.slice(0, 10), null, 2));

  expect(sent).toBeGreaterThanOrEqual(TOTAL);
  expect(problems).toEqual([]);
  expect(timeouts).toBe(0);
  expect([...byStatus.keys()].filter((status) => status >= 500)).toEqual([]);
  // Only CONNECT (which Node hands to a 'connect' listener nobody registers) may end a connection unanswered.
  expect(closedWithoutAnswerNotConnect).toBe(0);
  expect(unexpected).toEqual([]);
  // The generator must reach deep: data routes, query validation and resource checks, not just the front door.
  expect(deepHits).toBeGreaterThan(TOTAL / 4);
  for (const code of [
    'rate_limited',
    'invalid_limit',
    'invalid_query',
    'unsupported_filter',
    'cross_organization_denied',
    'encounter_not_found',
    'document_not_found',
    'media_url_invalid',
    'method_not_allowed',
    'route_not_found',
  ]) {
    expect(byReason.get(code) ?? 0, code).toBeGreaterThan(0);
  }
}, 180_000);
