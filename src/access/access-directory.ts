/**
 * Key and organization lookups behind a bounded in-process cache.
 *
 * A hit costs one HMAC and two map reads; a miss is one indexed query. Every instance tails the change feed
 * (src/store/change-feed.ts) and overwrites cached entries with the state it reads back, never deleting them:
 * entries carry the row's state_version and an older version never replaces a newer one, so a slow refill that
 * read a key before it was revoked cannot resurrect it.
 *
 * The feed is polled every `pollIntervalMs` on every database (also across processes sharing one SQLite file). On
 * PostgreSQL each change also NOTIFYs, and the directory reads the feed at once when woken: a wake-up signal only,
 * never the data, so a lost notification costs at most one poll interval.
 */
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import { findKeyByDigests, findKeyById, touchKeys } from '../store/api-keys.js';
import { CHANGE_FEED_RETENTION_MS, changesSince, latestChangeId } from '../store/change-feed.js';
import type { Store, Subscription } from '../store/db.js';
import { CHANGE_FEED_CHANNEL } from '../store/migrations/001-initial.js';
import { findOrganization } from '../store/organizations.js';
import type { Database } from '../store/schema.js';
import { entryByVersion, type Keyring, keyDigest, newestEntry } from './digest-keyring.js';
import { type KeyState, keyState, type OrganizationState, organizationState } from './key-state.js';

export interface AccessDirectoryOptions {
  environment: string;
  cacheSize?: number;
  /** How often the change feed is read; revocations reach this instance within about this long. */
  pollIntervalMs?: number;
  lastUsedFlushMs?: number;
  /** Wakes the directory up when the change feed has grown (see storeChangeSignal); the poller stays on. */
  changeSignal?: (wake: () => void) => Subscription;
  /** Told of every key lookup's cache result and every successful read of the change feed (for metrics). */
  observer?: AccessDirectoryObserver;
}

export interface AccessDirectoryObserver {
  keyCacheLookup(hit: boolean): void;
  changeFeedRead(): void;
}

/** PostgreSQL's NOTIFY on every change-feed insert, as a change signal; undefined on SQLite. */
export function storeChangeSignal(store: Store): AccessDirectoryOptions['changeSignal'] {
  const listen = store.listen;
  return listen && ((wake) => listen(CHANGE_FEED_CHANNEL, wake));
}

export interface AccessDirectory {
  findKey(token: string, keyring: Keyring): Promise<KeyState | null>;
  findOrganization(id: string): Promise<OrganizationState | null>;
  markUsed(keyId: string, atMs: number): void;
  /** Reads the change feed once (the poller calls it; tests may too). */
  refresh(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createAccessDirectory(db: Kysely<Database>, options: AccessDirectoryOptions): AccessDirectory {
  const max = options.cacheSize ?? 10_000;
  const keyIdByToken = new LRUCache<string, string>({ max });
  const keys = new LRUCache<string, KeyState>({ max });
  const organizations = new LRUCache<string, OrganizationState>({ max });
  const lastUsed = new Map<string, number>();
  let lastChangeId = 0;
  let lastReadAtMs = 0;
  let pollTimer: NodeJS.Timeout | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let pollAgain = false;
  let signal: Subscription | undefined;
  let stopped = false;

  const putKey = (state: KeyState) => {
    const current = keys.peek(state.id);
    if (!current || current.version <= state.version) keys.set(state.id, state);
  };
  const putOrganization = (state: OrganizationState) => {
    const current = organizations.peek(state.id);
    if (!current || current.version <= state.version) organizations.set(state.id, state);
  };

  async function refresh(): Promise<void> {
    const readAtMs = Date.now();
    const changes = await changesSince(db, lastChangeId);
    // Not read for half the feed's retention (this instance was cut off from the database): rows it never read
    // may have been pruned since (src/store/change-feed.ts), so nothing cached is trusted any more.
    if (readAtMs - lastReadAtMs > CHANGE_FEED_RETENTION_MS / 2) {
      keyIdByToken.clear();
      keys.clear();
      organizations.clear();
    }
    lastReadAtMs = readAtMs;
    for (const change of changes) {
      if (change.entity === 'key') {
        const row = await findKeyById(db, change.entity_id);
        if (row) putKey(keyState(row));
      } else {
        const row = await findOrganization(db, change.entity_id);
        if (row) putOrganization(organizationState(row));
      }
      lastChangeId = change.id;
    }
    options.observer?.changeFeedRead();
  }

  /** One read of the feed at a time; a request arriving during a read gets one more read after it. */
  function poll(): void {
    if (stopped) return;
    if (polling) {
      pollAgain = true;
      return;
    }
    pollAgain = false;
    // A failing datastore is retried on the next tick.
    polling = refresh()
      .catch(() => {})
      .finally(() => {
        polling = undefined;
        if (pollAgain) poll();
      });
  }

  async function flushLastUsed(): Promise<void> {
    if (lastUsed.size === 0) return;
    const batch = new Map(lastUsed);
    lastUsed.clear();
    await touchKeys(db, batch);
  }

  return {
    async findKey(token, keyring) {
      const cacheKey = keyDigest(newestEntry(keyring), token);
      const cachedId = keyIdByToken.get(cacheKey);
      const cached = cachedId === undefined ? undefined : keys.get(cachedId);
      const usable = cached !== undefined && entryByVersion(keyring, cached.digestKeyVersion) !== undefined;
      options.observer?.keyCacheLookup(usable);
      // A key verifies under the keyring version it was made with. An operator may remove an old version from
      // the file: from the next keyring reload its keys must stop, so a cached key counts only while its version
      // is still in the keyring; otherwise the lookup below runs and, with no digest of that version, finds nothing.
      if (usable) return cached;
      // The newest version's digest is the cache key already; the older versions' are computed only on a miss.
      const digests = [cacheKey, ...keyring.entries.slice(1).map((entry) => keyDigest(entry, token))];
      const feedMark = lastChangeId;
      let row = await findKeyByDigests(db, digests, options.environment);
      if (!row) return null;
      // The feed moved on while this read was in flight: the row may predate a change the poller already applied
      // (and the cache may have evicted that newer entry since), so read it again rather than cache old state.
      if (lastChangeId !== feedMark) row = (await findKeyById(db, row.id)) ?? row;
      putKey(keyState(row));
      keyIdByToken.set(cacheKey, row.id);
      return keys.get(row.id) ?? null;
    },
    async findOrganization(id) {
      const cached = organizations.get(id);
      if (cached) return cached;
      const feedMark = lastChangeId;
      let row = await findOrganization(db, id);
      if (!row) return null;
      if (lastChangeId !== feedMark) row = (await findOrganization(db, id)) ?? row;
      putOrganization(organizationState(row));
      return organizations.get(id) ?? null;
    },
    markUsed(keyId, atMs) {
      lastUsed.set(keyId, atMs);
    },
    refresh,
    async start() {
      lastReadAtMs = Date.now();
      lastChangeId = await latestChangeId(db);
      const interval = options.pollIntervalMs ?? 200;
      pollTimer = setInterval(poll, interval);
      pollTimer.unref();
      signal = options.changeSignal?.(poll);
      flushTimer = setInterval(() => void flushLastUsed().catch(() => {}), options.lastUsedFlushMs ?? 5000);
      flushTimer.unref();
    },
    async stop() {
      stopped = true;
      clearInterval(pollTimer);
      clearInterval(flushTimer);
      await signal?.close();
      await polling;
      await flushLastUsed().catch(() => {});
    },
  };
}
