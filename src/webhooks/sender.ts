/**
 * One webhook attempt over HTTP (docs/webhooks.md): POST the exact body, any 2xx within the timeout is
 * delivered, redirects are never followed, and only the status code, the latency and an error class are kept —
 * the receiver's body is discarded unread.
 */
import { Agent, request } from 'undici';
import { guardedConnector } from './address-guard.js';

export interface AttemptOutcome {
  delivered: boolean;
  statusCode: number | null;
  /** Why the attempt failed when no 2xx came back (null for a plain non-2xx status). */
  errorClass: string | null;
  latencyMs: number;
  /** The attempt was cut short by shutdown before an answer: give the delivery back, do not count it. */
  abandoned: boolean;
}

export type ErrorClass =
  | 'blocked_address'
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'dns_error'
  | 'tls_error'
  | 'redirect_not_followed'
  | 'network_error';

export interface Sender {
  send(url: string, body: string, headers: Record<string, string>, shutdown: AbortSignal): Promise<AttemptOutcome>;
  close(): Promise<void>;
}

/** What a failure is, from the error undici or Node raised (walking `cause`, where Node keeps the socket error). */
function classifyError(error: unknown): ErrorClass {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = String((current as { code?: unknown }).code ?? '');
    if (code === 'CHARTHERO_BLOCKED_ADDRESS') return 'blocked_address';
    if (current.name === 'TimeoutError' || /TIMEOUT/.test(code) || code === 'ETIMEDOUT') return 'timeout';
    if (code === 'ECONNREFUSED') return 'connection_refused';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL') return 'dns_error';
    if (/^ERR_(TLS|SSL)_|CERT|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME_MISMATCH/.test(code)) return 'tls_error';
    if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') {
      return 'connection_reset';
    }
    current = (current as { cause?: unknown }).cause;
  }
  return 'network_error';
}

/** At most this much of a receiver's answer is read (and thrown away) so a keep-alive connection can be reused. */
const DISCARD_LIMIT_BYTES = 64 * 1024;

export function createSender(options: { blockPrivateAddresses: boolean; timeoutMs: number }): Sender {
  const agent = new Agent({
    connect: guardedConnector(options.blockPrivateAddresses, options.timeoutMs),
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    keepAliveTimeout: 30_000,
    connections: 16,
  });
  return {
    async send(url, body, headers, shutdown) {
      const started = performance.now();
      const timeout = AbortSignal.timeout(options.timeoutMs);
      const signal = AbortSignal.any([timeout, shutdown]);
      try {
        const response = await request(url, { method: 'POST', headers, body, dispatcher: agent, signal });
        const latencyMs = performance.now() - started;
        await response.body.dump({ limit: DISCARD_LIMIT_BYTES }).catch(() => {});
        const { statusCode } = response;
        const delivered = statusCode >= 200 && statusCode < 300;
        const redirect = statusCode >= 300 && statusCode < 400;
        return {
          delivered,
          statusCode,
          errorClass: redirect ? 'redirect_not_followed' : null,
          latencyMs,
          abandoned: false,
        };
      } catch (error) {
        const latencyMs = performance.now() - started;
        if (shutdown.aborted && !timeout.aborted) {
          return { delivered: false, statusCode: null, errorClass: null, latencyMs, abandoned: true };
        }
        return {
          delivered: false,
          statusCode: null,
          errorClass: timeout.aborted ? 'timeout' : classifyError(error),
          latencyMs,
          abandoned: false,
        };
      }
    },
    close: () => agent.close(),
  };
}
