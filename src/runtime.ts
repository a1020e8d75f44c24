/** Builds every dependency of the server from the configuration, and tears them down in order. */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import pino from 'pino';
import { type AccessDirectory, createAccessDirectory, storeChangeSignal } from './access/access-directory.js';
import { createKeyringSource, ensureKeyringFile, type KeyringSource } from './access/keyring-source.js';
import { buildApp } from './app.js';
import { type AuditLedger, createAuditLedger } from './audit/ledger.js';
import { type Config, listeningBaseUrl } from './config.js';
import { closeGracefully } from './http/graceful-close.js';
import { registerMediaRoute } from './http/media-route.js';
import { createAuthFailureThrottle } from './limits/auth-failure-throttle.js';
import { openRateLimiter } from './limits/open-rate-limiter.js';
import type { RateLimiter } from './limits/rate-limiter.js';
import { isFileStorage } from './media/file-storage.js';
import { openAudioStorage } from './media/open-storage.js';
import type { AudioStorage } from './media/storage.js';
import { listenMetrics, type MetricsListener } from './metrics/listener.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { startChangeFeedPruner } from './store/change-feed.js';
import { openStore, SERVER_SQLITE_BUSY_MS, type Store } from './store/db.js';
import { migrate } from './store/migrate.js';
import { countDeliveriesByState, DELIVERY_STATES } from './store/webhooks.js';
import { startWebhookWorker, type WebhookWorker } from './webhooks/worker.js';

export interface Runtime {
  app: FastifyInstance;
  store: Store;
  keyring: KeyringSource;
  directory: AccessDirectory;
  audit: AuditLedger;
  storage: AudioStorage;
  rateLimiter: RateLimiter;
  /** The Prometheus registry and its listener, when CHARTHERO_METRICS_PORT is set. */
  metrics: Metrics | undefined;
  metricsListener: MetricsListener | undefined;
  /** Tells the runtime the port it listens on (PORT=0: media URLs then name the real port). */
  listeningOn(port: number): void;
  /** The webhook delivery worker, unless CHARTHERO_WEBHOOKS_ENABLED is off. */
  webhooks: WebhookWorker | null;
  /** Stops serving, then flushes the audit ledger and closes every dependency. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  logger?: FastifyBaseLogger;
  rateLimiter?: RateLimiter;
  now?: () => number;
  /** How often this instance prunes the change feed (tests). */
  changeFeedPruneIntervalMs?: number;
}

/** The pino logger: never the Authorization header, even if a future log line includes request headers. */
function createLogger(config: Pick<Config, 'logLevel'>): FastifyBaseLogger {
  return pino({
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'authorization'], censor: '[redacted]' },
  });
}

export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? createLogger(config);
  ensureKeyringFile(config);
  const store = openStore(config.databaseUrl, {
    timeoutMs: config.datastoreTimeoutMs,
    poolSize: config.databasePoolSize,
    busyTimeoutMs: SERVER_SQLITE_BUSY_MS,
    backgroundCheckpoints: true,
  });
  await migrate(store);
  const keyring = createKeyringSource(config);
  const now = options.now ?? Date.now;
  const metrics = config.metricsPort === undefined ? undefined : createMetrics();
  let changeFeedReadAtMs = now();
  const directory = createAccessDirectory(store.db, {
    environment: config.keyEnvironment,
    changeSignal: storeChangeSignal(store),
    observer: metrics && {
      keyCacheLookup: metrics.keyCacheLookup,
      changeFeedRead: () => {
        changeFeedReadAtMs = now();
      },
    },
  });
  await directory.start();
  const pruner = startChangeFeedPruner(store.db, options.changeFeedPruneIntervalMs);
  let publicBaseUrl = config.publicBaseUrl;
  const media = {
    audioStorage: config.audioStorage,
    get publicBaseUrl() {
      return publicBaseUrl;
    },
  };
  const storage = openAudioStorage(media, () => keyring.get());
  const rateLimiter = options.rateLimiter ?? (await openRateLimiter(config, logger));
  const audit = createAuditLedger(store, {
    keyring: () => keyring.get(),
    commitTimeoutMs: config.datastoreTimeoutMs,
    logger,
  });
  // Scrape-time gauges, one call each (a gauge by state: `label: { name: 'state', values: [...] }`).
  metrics?.addGauge({
    name: 'charthero_audit_records_pending',
    help: 'Audit records taken but not yet committed to the ledger.',
    read: () => audit.pending(),
  });
  metrics?.addGauge({
    name: 'charthero_change_feed_lag_seconds',
    help: 'Seconds since this instance last read the change feed (revocations reach its cache within this).',
    read: () => (now() - changeFeedReadAtMs) / 1000,
  });
  metrics?.addGauge({
    name: 'charthero_webhook_deliveries',
    help: 'Webhook deliveries by state (every instance reports the shared queue).',
    label: { name: 'state', values: DELIVERY_STATES },
    read: () => countDeliveriesByState(store.db),
  });
  const app = buildApp({
    config,
    keyring,
    directory,
    rateLimiter,
    authFailures: createAuthFailureThrottle(config.authFailureLimit),
    db: store.db,
    storage,
    now,
    store,
    audit,
    logger,
    metrics,
    extraRoutes: isFileStorage(storage)
      ? (instance) => registerMediaRoute(instance, { storage, keyring: () => keyring.get() })
      : undefined,
  });
  await app.ready();
  const metricsListener = metrics && (await listenMetrics(metrics, config.host, config.metricsPort!));
  const webhooks = config.webhooksEnabled
    ? startWebhookWorker({
        store,
        keyring: () => keyring.get(),
        environment: config.environment,
        retryScheduleSeconds: config.webhookRetryScheduleSeconds,
        leaseMs: config.webhookLeaseSeconds * 1000,
        logger,
      })
    : null;
  return {
    app,
    store,
    keyring,
    directory,
    audit,
    storage,
    rateLimiter,
    metrics,
    metricsListener,
    listeningOn(port) {
      publicBaseUrl = listeningBaseUrl(config, port);
    },
    webhooks,
    async close() {
      // Webhook claiming stops at once; attempts in flight finish (or are given back) while HTTP drains.
      await Promise.all([closeGracefully(app), webhooks?.stop()]);
      await metricsListener?.close();
      await audit.close();
      await directory.stop();
      await pruner.stop();
      await rateLimiter.close();
      await storage.close();
      await store.close();
    },
  };
}
