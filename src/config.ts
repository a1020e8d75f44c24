/** Environment variables → a typed, validated configuration (docs/configuration.md). */
import ipaddr from 'ipaddr.js';
import { AUDIO_URL_TTL_SECONDS, AUTH_FAILURE_LIMIT, MAX_CONNECTIONS } from './contract/bounds.js';

export type DeploymentEnvironment = 'sandbox' | 'production';
export type KeyEnvironment = 'test' | 'live';

export interface Config {
  environment: DeploymentEnvironment;
  keyEnvironment: KeyEnvironment;
  databaseUrl: string;
  /** Absolute or relative path of the digest keyring file. */
  digestKeysFile: string;
  /** Sandbox creates the keyring on first run; production refuses to invent one. */
  createKeyringIfAbsent: boolean;
  apiKeysEnabled: boolean;
  audioStorage: string;
  audioUrlTtlSeconds: number;
  publicBaseUrl: string;
  redisUrl: string | undefined;
  host: string;
  port: number;
  logLevel: string;
  /** Milliseconds a datastore call may take before the request gets 503 datastore_unavailable. */
  datastoreTimeoutMs: number;
  /** PostgreSQL connections per instance (the LISTEN connection comes on top). */
  databasePoolSize: number;
  /** Default per-key rate limit when a key has none of its own (docs/limits.md). */
  defaultKeyRateLimitPerSecond: number;
  defaultKeyRateBurst: number;
  /** Port of the Prometheus listener (bound to `host`); undefined = no metrics listener. */
  metricsPort: number | undefined;
  /** Whether this instance runs the webhook delivery worker (docs/webhooks.md). */
  webhooksEnabled: boolean;
  /** Seconds to wait after each failed attempt; its length + 1 is the number of attempts. */
  webhookRetryScheduleSeconds: readonly number[];
  /**
   * How long a claimed attempt stays leased to its instance (not a contract variable: 30 s keeps a dead instance's
   * attempt retried within the contract's 60 s; tests shorten it). The attempt timeout stays below it.
   */
  webhookLeaseSeconds: number;
  /** Failed authentications per client address per window before step 5a answers 429; 0 = no throttle. */
  authFailureLimit: number;
  /**
   * Which peers' `X-Forwarded-For` is believed (Fastify's `trustProxy`): a hop count, or the addresses and CIDRs
   * of the proxies; undefined = none, the client address is the socket's.
   */
  trustProxy: number | string[] | undefined;
  /** Open connections per process; past it new ones are closed at once. */
  maxConnections: number;
}

class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_DATABASE_POOL_SIZE = 10;

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
  }
  return value as T;
}

function integer(env: Env, name: string, min: number, max: number, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^(0|[1-9][0-9]*)$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return Number(value);
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ConfigError(name, `must be true or false (got ${JSON.stringify(value)})`);
}

function databaseUrl(env: Env): string {
  const value = env.CHARTHERO_DATABASE_URL || 'sqlite:./data/charthero.sqlite';
  if (/^sqlite:.+/.test(value) || /^postgres(ql)?:\/\/.+/.test(value)) return value;
  throw new ConfigError('CHARTHERO_DATABASE_URL', 'must be sqlite:<path> or postgres://…');
}

function audioStorage(env: Env): string {
  const value = env.CHARTHERO_AUDIO_STORAGE || 'file:./data/audio';
  if (/^file:.+/.test(value) || /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(value)) return value;
  throw new ConfigError('CHARTHERO_AUDIO_STORAGE', 'must be file:<dir> or s3://bucket/prefix');
}

const defaultBaseUrl = (host: string, port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

function baseUrl(env: Env, host: string, port: number): string {
  const value = env.CHARTHERO_PUBLIC_BASE_URL;
  if (value === undefined || value === '') return defaultBaseUrl(host, port);
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    return value.replace(/\/+$/, '');
  } catch {
    throw new ConfigError('CHARTHERO_PUBLIC_BASE_URL', 'must be an http(s) URL');
  }
}

/** CHARTHERO_METRICS_PORT: unset = off; never the public port (0 = any free port, like PORT=0). */
function metricsListenerPort(env: Env, publicPort: number): number | undefined {
  if (env.CHARTHERO_METRICS_PORT === undefined || env.CHARTHERO_METRICS_PORT === '') return undefined;
  const port = integer(env, 'CHARTHERO_METRICS_PORT', 0, 65535, 0);
  if (port !== 0 && port === publicPort) throw new ConfigError('CHARTHERO_METRICS_PORT', 'must differ from PORT');
  return port;
}

/**
 * The base of media URLs once the server listens on `port`: with PORT=0 and no CHARTHERO_PUBLIC_BASE_URL, the
 * default names the port the system chose (a base URL with port 0 reaches nothing, so it is never kept).
 */
export function listeningBaseUrl(config: Pick<Config, 'host' | 'port' | 'publicBaseUrl'>, port: number): string {
  const portZero = config.port === 0 && config.publicBaseUrl === defaultBaseUrl(config.host, 0);
  return portZero ? defaultBaseUrl(config.host, port) : config.publicBaseUrl;
}

const DEFAULT_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000];
const MAX_RETRY_DELAY_SECONDS = 7 * 86_400;
const MAX_RETRIES = 20;

function retrySchedule(env: Env): number[] {
  const name = 'CHARTHERO_WEBHOOK_RETRY_SCHEDULE';
  const value = env[name];
  if (value === undefined || value === '') return DEFAULT_RETRY_SCHEDULE;
  const items = value.split(',').map((item) => item.trim());
  const valid = items.every((item) => /^[1-9][0-9]{0,6}$/.test(item) && Number(item) <= MAX_RETRY_DELAY_SECONDS);
  if (!valid || items.length > MAX_RETRIES) {
    throw new ConfigError(
      name,
      `must be 1 to ${MAX_RETRIES} comma-separated integers of seconds from 1 to ${MAX_RETRY_DELAY_SECONDS} (got ${JSON.stringify(value)})`,
    );
  }
  return items.map(Number);
}

/** CHARTHERO_TRUST_PROXY: a hop count (1–32), or comma-separated addresses and CIDRs. */
function trustProxy(env: Env): number | string[] | undefined {
  const name = 'CHARTHERO_TRUST_PROXY';
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (/^[0-9]+$/.test(value)) return integer(env, name, 1, 32, 1);
  const entries = value.split(',').map((entry) => entry.trim());
  if (!entries.every(isAddressOrCidr)) {
    throw new ConfigError(
      name,
      `must be a hop count from 1 to 32 or comma-separated IP addresses and CIDRs (got ${JSON.stringify(value)})`,
    );
  }
  return entries;
}

/** A plain address (dotted-quad IPv4 only: no `10.0.0` or hex shorthands) or one with a `/prefix`. */
function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  if (rest.length > 0) return false;
  const v4 = ipaddr.IPv4.isValidFourPartDecimal(address);
  if (!v4 && !ipaddr.IPv6.isValid(address)) return false;
  if (prefix === undefined) return true;
  return /^(0|[1-9][0-9]{0,2})$/.test(prefix) && Number(prefix) <= (v4 ? 32 : 128);
}

export function loadConfig(env: Env = process.env): Config {
  const environment = oneOf(env, 'CHARTHERO_ENVIRONMENT', ['sandbox', 'production'] as const, 'sandbox');
  const keysFile = env.CHARTHERO_DIGEST_KEYS_FILE;
  if (environment === 'production' && !keysFile) {
    throw new ConfigError('CHARTHERO_DIGEST_KEYS_FILE', 'is required in production');
  }
  const host = env.HOST || '127.0.0.1';
  const port = integer(env, 'PORT', 0, 65535, 8080);
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const metricsPort = metricsListenerPort(env, port);
  const redisUrl = env.CHARTHERO_REDIS_URL || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\/.+/.test(redisUrl)) {
    throw new ConfigError('CHARTHERO_REDIS_URL', 'must be a redis:// or rediss:// URL');
  }
  return {
    environment,
    keyEnvironment: environment === 'production' ? 'live' : 'test',
    databaseUrl: databaseUrl(env),
    digestKeysFile: keysFile || './data/digest-keys.json',
    createKeyringIfAbsent: environment === 'sandbox' && !keysFile,
    apiKeysEnabled: boolean(env, 'CHARTHERO_API_KEYS_ENABLED', true),
    audioStorage: audioStorage(env),
    audioUrlTtlSeconds: integer(
      env,
      'CHARTHERO_AUDIO_URL_TTL_SECONDS',
      AUDIO_URL_TTL_SECONDS.min,
      AUDIO_URL_TTL_SECONDS.max,
      AUDIO_URL_TTL_SECONDS.default,
    ),
    publicBaseUrl: baseUrl(env, host, port),
    redisUrl,
    host,
    port,
    logLevel,
    datastoreTimeoutMs: integer(env, 'CHARTHERO_DATASTORE_TIMEOUT_MS', 100, 60000, 2000),
    databasePoolSize: integer(env, 'CHARTHERO_DATABASE_POOL_SIZE', 1, 100, DEFAULT_DATABASE_POOL_SIZE),
    defaultKeyRateLimitPerSecond: 50,
    defaultKeyRateBurst: 100,
    metricsPort,
    webhooksEnabled: boolean(env, 'CHARTHERO_WEBHOOKS_ENABLED', true),
    webhookRetryScheduleSeconds: retrySchedule(env),
    webhookLeaseSeconds: integer(env, 'CHARTHERO_WEBHOOK_LEASE_SECONDS', 2, 30, 30),
    authFailureLimit: integer(
      env,
      'CHARTHERO_AUTH_FAILURE_LIMIT',
      AUTH_FAILURE_LIMIT.min,
      AUTH_FAILURE_LIMIT.max,
      AUTH_FAILURE_LIMIT.default,
    ),
    trustProxy: trustProxy(env),
    maxConnections: integer(
      env,
      'CHARTHERO_MAX_CONNECTIONS',
      MAX_CONNECTIONS.min,
      MAX_CONNECTIONS.max,
      MAX_CONNECTIONS.default,
    ),
  };
}
