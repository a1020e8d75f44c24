/** Builds every dependency of the server from the configuration, and tears them down in order. */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import pino from 'pino';
import { type AccessDirectory, createAccessDirectory, storeChangeSignal } from './access/access-directory.js';
import { createKeyringSource, ensureKeyringFile, type KeyringSource } from './access/keyring-source.js';
import { buildApp } from './app.js';
import { type AuditLedger, createAuditLedger } from './audit/ledger.js';
import type { Config } from './config.js';
import { closeGracefully } from './http/graceful-close.js';
import { registerMediaRoute } from './http/media-route.js';
import { openRateLimiter } from './limits/open-rate-limiter.js';
import type { RateLimiter } from './limits/rate-limiter.js';
import { isFileStorage } from './media/file-storage.js';
import { openAudioStorage } from './media/open-storage.js';
import type { AudioStorage } from './media/storage.js';
import { openStore, SERVER_SQLITE_BUSY_MS, type Store } from './store/db.js';
import { migrate } from './store/migrate.js';

export interface Runtime {
  app: FastifyInstance;
  store: Store;
  keyring: KeyringSource;
  directory: AccessDirectory;
  audit: AuditLedger;
  storage: AudioStorage;
  rateLimiter: RateLimiter;
  /** Stops serving, then flushes the audit ledger and closes every dependency. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  logger?: FastifyBaseLogger;
  rateLimiter?: RateLimiter;
  now?: () => number;
}

/** The pino logger: never the Authorization header, even if a future log line includes request headers. */
export function createLogger(config: Pick<Config, 'logLevel'>): FastifyBaseLogger {
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
    busyTimeoutMs: SERVER_SQLITE_BUSY_MS,
  });
  await migrate(store);
  const keyring = createKeyringSource(config);
  const directory = createAccessDirectory(store.db, {
    environment: config.keyEnvironment,
    changeSignal: storeChangeSignal(store),
  });
  await directory.start();
  const storage = openAudioStorage(config, () => keyring.get());
  const rateLimiter = options.rateLimiter ?? (await openRateLimiter(config, logger));
  const audit = createAuditLedger(store, { logger });
  const app = buildApp({
    config,
    keyring,
    directory,
    rateLimiter,
    db: store.db,
    storage,
    now: options.now ?? Date.now,
    store,
    audit,
    logger,
    extraRoutes: isFileStorage(storage)
      ? (instance) => registerMediaRoute(instance, { storage, keyring: () => keyring.get() })
      : undefined,
  });
  await app.ready();
  return {
    app,
    store,
    keyring,
    directory,
    audit,
    storage,
    rateLimiter,
    async close() {
      await closeGracefully(app);
      await audit.close();
      await directory.stop();
      await rateLimiter.close();
      await storage.close();
      await store.close();
    },
  };
}
