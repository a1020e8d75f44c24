/**
 * Key and organization lookups behind a bounded in-process cache.
 *
 * A hit costs one HMAC and two map reads; a miss is one indexed query. Every instance tails the change feed
 * (src/store/change-feed.ts) and overwrites cached entries with the state it reads back, never deleting them:
 * entries carry the row's state_version and an older version never replaces a newer one, so a slow refill that
 * read a key before it was revoked cannot resurrect it.
 */
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import { findKeyByDigests, findKeyById, touchKeys } from '../store/api-keys.js';
import { changesSince, latestChangeId } from '../store/change-feed.js';
import { findOrganization } from '../store/organizations.js';
import type { Database } from '../store/schema.js';
import { type Keyring, keyDigest, newestEntry } from './digest-keyring.js';
import { type KeyState, keyState, type OrganizationState, organizationState } from './key-state.js';

export interface AccessDirectoryOptions {
  environment: string;
  cacheSize?: number;
  /** How often the change feed is read; revocations reach this instance within about this long. */
  pollIntervalMs?: number;
  lastUsedFlushMs?: number;
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
  let pollTimer: NodeJS.Timeout | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;

  const putKey = (state: KeyState) => {
    const current = keys.peek(state.id);
    if (!current || current.version <= state.version) keys.set(state.id, state);
  };
  const putOrganization = (state: OrganizationState) => {
    const current = organizations.peek(state.id);
    if (!current || current.version <= state.version) organizations.set(state.id, state);
  };

  async function refresh(): Promise<void> {
    const changes = await changesSince(db, lastChangeId);
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
      if (cached) return cached;
      // A key verifies under the keyring version it was made with; rotation adds versions, never removes them.
      const digests = keyring.entries.map((entry) => keyDigest(entry, token));
      const row = await findKeyByDigests(db, digests, options.environment);
      if (!row) return null;
      putKey(keyState(row));
      keyIdByToken.set(cacheKey, row.id);
      return keys.get(row.id) ?? null;
    },
    async findOrganization(id) {
      const cached = organizations.get(id);
      if (cached) return cached;
      const row = await findOrganization(db, id);
      if (!row) return null;
      putOrganization(organizationState(row));
      return organizations.get(id) ?? null;
    },
    markUsed(keyId, atMs) {
      lastUsed.set(keyId, atMs);
    },
    refresh,
    async start() {
      lastChangeId = await latestChangeId(db);
      const interval = options.pollIntervalMs ?? 200;
      pollTimer = setInterval(() => {
        // One poll at a time; a failing datastore is retried on the next tick.
        polling ??= refresh()
          .catch(() => {})
          .finally(() => {
            polling = undefined;
          });
      }, interval);
      pollTimer.unref();
      flushTimer = setInterval(() => void flushLastUsed().catch(() => {}), options.lastUsedFlushMs ?? 5000);
      flushTimer.unref();
    },
    async stop() {
      clearInterval(pollTimer);
      clearInterval(flushTimer);
      await polling;
      await flushLastUsed().catch(() => {});
    },
  };
}
