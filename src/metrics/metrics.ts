/**
 * The Prometheus metrics of one server process (docs/operations.md), in a registry of its own. Every label value
 * comes from a closed set — route ids (plus `non_public`), status codes, reason codes, `hit`/`miss`, a gauge's
 * declared values — so no key, id or other client-chosen value can ever become a series.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { REASON_CODES } from '../contract/reasons.js';
import { ROUTE_IDS } from '../contract/routes.js';

/** The route label of everything that is not one of the five public routes (service routes, docs, media, 404s). */
export const NON_PUBLIC_ROUTE = 'non_public';
/** The reason_code label of a response without one (a success). */
const NO_REASON = 'none';

const ROUTE_LABELS = new Set<string>(ROUTE_IDS);
const REASON_LABELS = new Set<string>(REASON_CODES);

/** A gauge read at scrape time: one value, or one per value of a single label with a closed set of values. */
export interface GaugeSpec {
  name: string;
  help: string;
  label?: { name: string; values: readonly string[] };
  read(): GaugeReading | Promise<GaugeReading>;
}
export type GaugeReading = number | Readonly<Record<string, number>>;

export interface Metrics {
  readonly registry: Registry;
  observeRequest(route: string, status: number, reasonCode: string | null, seconds: number): void;
  keyCacheLookup(hit: boolean): void;
  /** Registers a scrape-time gauge: a new collector is one call (see runtime.ts). */
  addGauge(spec: GaugeSpec): void;
}

/** Request latency buckets, in seconds: sub-millisecond cache hits up to the datastore timeout and beyond. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['route', 'status', 'reason_code'] as const;
  const requests = new Counter({
    name: 'charthero_http_requests_total',
    help: 'Requests answered, by route id, status and reason code.',
    labelNames,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'charthero_http_request_duration_seconds',
    help: 'Time to answer a request, by route id, status and reason code.',
    labelNames,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const keyCache = new Counter({
    name: 'charthero_key_cache_lookups_total',
    help: 'API-key lookups by cache result (a miss reads the database).',
    labelNames: ['result'],
    registers: [registry],
  });
  keyCache.inc({ result: 'hit' }, 0);
  keyCache.inc({ result: 'miss' }, 0);

  return {
    registry,
    observeRequest(route, status, reasonCode, seconds) {
      const labels = {
        route: ROUTE_LABELS.has(route) ? route : NON_PUBLIC_ROUTE,
        // Statuses are the application's own: 2xx, 3xx and the registry's.
        status: String(status),
        reason_code: reasonCode !== null && REASON_LABELS.has(reasonCode) ? reasonCode : NO_REASON,
      };
      requests.inc(labels);
      latency.observe(labels, seconds);
    },
    keyCacheLookup(hit) {
      keyCache.inc({ result: hit ? 'hit' : 'miss' });
    },
    addGauge(spec) {
      const label = spec.label;
      new Gauge({
        name: spec.name,
        help: spec.help,
        labelNames: label ? [label.name] : [],
        registers: [registry],
        async collect() {
          let reading: GaugeReading;
          try {
            reading = await spec.read();
          } catch {
            // A reading that needs the database must not fail the whole scrape while the database is down: the
            // gauge keeps its last value and every other series is still served.
            return;
          }
          if (typeof reading === 'number') {
            this.set(reading);
            return;
          }
          if (!label) throw new Error(`gauge ${spec.name} has no label for a reading by value`);
          // Every declared value is reported (0 when absent); an undeclared one is never a series.
          for (const value of label.values) this.set({ [label.name]: value }, reading[value] ?? 0);
        },
      });
    },
  };
}
