/**
 * The delivery worker each `charthero serve` runs (docs/webhooks.md). It claims due deliveries with a lease,
 * sends them, and records each outcome only if it still holds the lease, so several instances share one queue and,
 * in normal operation, each attempt is sent by exactly one of them. An instance that dies mid-attempt leaves its
 * lease to run out; any instance then claims the delivery again (at least once). `stop()` claims nothing more,
 * lets attempts in flight finish for a grace period, and gives back the leases of those it had to cut short.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Keyring } from '../access/digest-keyring.js';
import type { DeploymentEnvironment } from '../config.js';
import {
  WEBHOOK_API_VERSION,
  WEBHOOK_CONTENT_TYPE,
  WEBHOOK_HEADERS,
  WEBHOOK_USER_AGENT,
} from '../contract/webhooks.js';
import type { Store } from '../store/db.js';
import {
  type AttemptResult,
  type ClaimedDelivery,
  claimDueDeliveries,
  nextDeliveryDueAt,
  recordAttempt,
  releaseDeliveries,
} from '../store/webhooks.js';
import { retryDelayMs } from './retry-schedule.js';
import { openSecret } from './secrets.js';
import { type AttemptOutcome, createSender, type Sender } from './sender.js';
import { signatureHeader } from './signature.js';

/** The contract's limit for a receiver's answer. */
const ATTEMPT_TIMEOUT_MS = 10_000;

export interface WebhookWorkerOptions {
  store: Store;
  keyring: () => Keyring;
  environment: DeploymentEnvironment;
  retryScheduleSeconds: readonly number[];
  leaseMs: number;
  logger: FastifyBaseLogger;
  /** Attempts in flight at once. */
  concurrency?: number;
  /** The longest the worker sleeps without looking for new deliveries (another process may have queued some). */
  pollMs?: number;
  /** How long `stop()` lets attempts in flight finish before cutting them short. */
  graceMs?: number;
  now?: () => number;
  random?: () => number;
  /** Tests only: a sender other than HTTP. */
  sender?: Sender;
}

export interface WebhookWorker {
  /** A random id of this process's worker (lease owners start with it). */
  readonly instanceId: string;
  stop(): Promise<void>;
}

const DEFAULT_CONCURRENCY = 32;
const DEFAULT_POLL_MS = 1000;
const DEFAULT_GRACE_MS = 5000;

/** The seven headers of section 12.2 for one attempt. */
function deliveryHeaders(delivery: ClaimedDelivery, secrets: readonly string[], timestamp: number) {
  return {
    [WEBHOOK_HEADERS.contentType]: WEBHOOK_CONTENT_TYPE,
    [WEBHOOK_HEADERS.eventId]: delivery.eventId,
    [WEBHOOK_HEADERS.deliveryId]: delivery.id,
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.signature]: signatureHeader(secrets, timestamp, delivery.body),
    [WEBHOOK_HEADERS.version]: WEBHOOK_API_VERSION,
    [WEBHOOK_HEADERS.userAgent]: WEBHOOK_USER_AGENT,
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function startWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  const { store, logger } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  // Below the lease, so an attempt always ends (and is recorded) while its instance still holds the row.
  const timeoutMs = Math.min(ATTEMPT_TIMEOUT_MS, options.leaseMs - 1000);
  const sender =
    options.sender ?? createSender({ blockPrivateAddresses: options.environment === 'production', timeoutMs });
  const instanceId = randomBytes(8).toString('hex');
  const shutdown = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let claims = 0;
  let stopping = false;
  let wakeUp: (() => void) | null = null;
  // A wake-up that came while the loop was busy (not pausing) must not be lost.
  let woken = false;

  const wake = () => {
    const resolve = wakeUp;
    wakeUp = null;
    if (resolve) resolve();
    else woken = true;
  };

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken) {
        woken = false;
        return resolve();
      }
      const timer = setTimeout(() => wake(), Math.max(0, ms));
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  function secretsOf(delivery: ClaimedDelivery, atMs: number): string[] {
    const keyring = options.keyring();
    const secrets = [openSecret(keyring, delivery.endpointId, delivery.secretSealed)];
    if (
      delivery.previousSecretSealed !== null &&
      delivery.previousSecretExpiresAtMs !== null &&
      delivery.previousSecretExpiresAtMs > atMs
    ) {
      secrets.push(openSecret(keyring, delivery.endpointId, delivery.previousSecretSealed));
    }
    return secrets;
  }

  /** Records an outcome, retrying a busy database until shortly before the lease would run out. */
  async function record(result: AttemptResult, leaseUntilMs: number): Promise<void> {
    for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
      try {
        if (!(await recordAttempt(store.db, result))) {
          logger.warn({ delivery_id: result.id }, 'webhook attempt finished after its lease was taken over');
        }
        return;
      } catch (error) {
        if (now() + wait >= leaseUntilMs) {
          logger.error({ delivery_id: result.id, err: errorSummary(error) }, 'webhook attempt could not be recorded');
          return;
        }
        await sleep(wait);
      }
    }
  }

  async function attempt(delivery: ClaimedDelivery, owner: string, leaseUntilMs: number): Promise<void> {
    const startedAt = now();
    let outcome: AttemptOutcome;
    try {
      const timestamp = Math.floor(startedAt / 1000);
      const headers = deliveryHeaders(delivery, secretsOf(delivery, startedAt), timestamp);
      outcome = await sender.send(delivery.url, delivery.body, headers, shutdown.signal);
    } catch (error) {
      // The secret does not open (keyring unreadable or rotated too far): a failed attempt the operator can see.
      logger.error({ delivery_id: delivery.id, err: errorSummary(error) }, 'webhook attempt could not be signed');
      outcome = {
        delivered: false,
        statusCode: null,
        errorClass: 'secret_unavailable',
        latencyMs: 0,
        abandoned: false,
      };
    }
    if (outcome.abandoned) {
      await releaseDeliveries(store.db, [delivery.id], owner).catch(() => {});
      return;
    }
    const finishedAt = now();
    const delay = outcome.delivered ? null : retryDelayMs(options.retryScheduleSeconds, delivery.attempt, random);
    const state = outcome.delivered ? 'delivered' : delay === null ? 'failed' : 'pending';
    logger.info(
      {
        delivery_id: delivery.id,
        event_id: delivery.eventId,
        endpoint_id: delivery.endpointId,
        attempt: delivery.attempt,
        status_code: outcome.statusCode,
        error_class: outcome.errorClass,
        latency_ms: Math.round(outcome.latencyMs),
        state,
      },
      'webhook attempt',
    );
    await record(
      {
        id: delivery.id,
        owner,
        atMs: startedAt,
        statusCode: outcome.statusCode,
        errorClass: outcome.errorClass,
        latencyMs: outcome.latencyMs,
        state,
        nextAttemptAtMs: delay === null ? finishedAt : finishedAt + delay,
      },
      leaseUntilMs,
    );
  }

  // While busy, claim only once a few slots are free: one claim (three statements) then serves several attempts.
  const refill = Math.max(1, Math.ceil(concurrency / 4));
  const mayClaim = (free: number) => free > 0 && (inFlight.size === 0 || free >= refill);

  async function claimAndStart(): Promise<number> {
    const free = concurrency - inFlight.size;
    if (!mayClaim(free)) return 0;
    const owner = `${instanceId}.${++claims}`;
    const nowMs = now();
    const leaseUntilMs = nowMs + options.leaseMs;
    const claimed = await claimDueDeliveries(store, { owner, nowMs, leaseUntilMs, limit: free });
    for (const delivery of claimed) {
      const running: Promise<void> = attempt(delivery, owner, leaseUntilMs).finally(() => {
        inFlight.delete(running);
        wake();
      });
      inFlight.add(running);
    }
    return claimed.length;
  }

  async function nextWakeMs(): Promise<number> {
    if (!mayClaim(concurrency - inFlight.size)) return pollMs; // An attempt finishing wakes the loop earlier.
    const dueAt = await nextDeliveryDueAt(store.db);
    return dueAt === null ? pollMs : Math.min(pollMs, Math.max(0, dueAt - now()));
  }

  async function run(): Promise<void> {
    while (!stopping) {
      let waitMs = pollMs;
      try {
        const free = concurrency - inFlight.size;
        const started = await claimAndStart();
        // A full batch means more may be due right now.
        if (mayClaim(free) && started === free) continue;
        waitMs = await nextWakeMs();
      } catch (error) {
        // A busy or unreachable database: try again at the next poll.
        logger.warn({ err: errorSummary(error) }, 'webhook worker could not read the delivery queue');
      }
      if (stopping) break;
      await pause(waitMs);
    }
  }

  const loop = run();

  return {
    instanceId,
    async stop() {
      if (stopping) return loop;
      stopping = true;
      wake();
      await loop;
      if (inFlight.size > 0) {
        const settled = Promise.allSettled([...inFlight]);
        const timer = setTimeout(() => shutdown.abort(), graceMs);
        await settled;
        clearTimeout(timer);
      }
      shutdown.abort();
      if (!options.sender) await sender.close();
    },
  };
}

/** An error for a log line: its class and code, never its message (a driver error could quote a URL). */
function errorSummary(error: unknown): { type: string; code?: string } {
  if (!(error instanceof Error)) return { type: typeof error };
  const code = (error as { code?: unknown }).code;
  return { type: error.name, ...(typeof code === 'string' ? { code } : {}) };
}
