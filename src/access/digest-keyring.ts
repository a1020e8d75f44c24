/**
 * The versioned digest keyring (docs/keys.md and docs/cli.md): secrets that never live in the database.
 * Key digests are HMAC-SHA256(secret, token); media URLs are signed with a key derived under a label of its own.
 */
import { createHmac, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { parseJson } from '../parse-json.js';

export interface KeyringEntry {
  version: number;
  secret: Buffer;
  createdAt: string;
}

export interface Keyring {
  /** Newest first. */
  entries: readonly KeyringEntry[];
}

export class KeyringError extends Error {
  override name = 'KeyringError';
}

const MEDIA_LABEL = 'charthero/media-url/v1';
const AUDIT_CHAIN_LABEL = 'charthero/audit-chain/v1';

export function newestEntry(keyring: Keyring): KeyringEntry {
  return keyring.entries[0]!;
}

export function entryByVersion(keyring: Keyring, version: number): KeyringEntry | undefined {
  return keyring.entries.find((entry) => entry.version === version);
}

/**
 * Each entry's secret as a KeyObject, made once per entry (a reload brings new entry objects): an HMAC keyed by a
 * KeyObject skips importing the key bytes, a fifth of the HMAC that every request computes (bench/README.md).
 */
const secretKeys = new WeakMap<KeyringEntry, KeyObject>();
function secretKey(entry: KeyringEntry): KeyObject {
  let key = secretKeys.get(entry);
  if (key === undefined) {
    key = createSecretKey(entry.secret);
    secretKeys.set(entry, key);
  }
  return key;
}

export function keyDigest(entry: KeyringEntry, token: string): string {
  return createHmac('sha256', secretKey(entry)).update(token).digest('hex');
}

/**
 * A 32-byte key for one purpose, derived from a keyring version under that purpose's label: keys of different
 * labels are independent, and none can be confused with a key digest (a different HMAC input domain).
 */
export function derivedKey(entry: KeyringEntry, label: string): Buffer {
  return createHmac('sha256', secretKey(entry)).update(label).digest();
}

/** The signing key for media URLs. */
export function mediaSigningKey(entry: KeyringEntry): Buffer {
  return derivedKey(entry, MEDIA_LABEL);
}

/**
 * The audit ledger's chain key, derived the same way under its own label (never a media or digest key); a KeyObject,
 * since it keys an HMAC per record.
 */
export function auditChainKey(entry: KeyringEntry): KeyObject {
  return createSecretKey(derivedKey(entry, AUDIT_CHAIN_LABEL));
}

export function parseKeyring(text: string): Keyring {
  const parsed = parseJson(text, () => new KeyringError('keyring file is not valid JSON'));
  const keys = (parsed as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new KeyringError('keyring has no "keys" array');
  const entries = keys.map((raw, index): KeyringEntry => {
    const { version, secret, created_at: createdAt } = (raw ?? {}) as Record<string, unknown>;
    if (!Number.isInteger(version) || (version as number) < 1) {
      throw new KeyringError(`keys[${index}].version must be a positive integer`);
    }
    if (typeof secret !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(secret)) {
      throw new KeyringError(`keys[${index}].secret must be base64`);
    }
    const bytes = Buffer.from(secret, 'base64');
    if (bytes.length < 32) throw new KeyringError(`keys[${index}].secret must hold at least 32 bytes`);
    return { version: version as number, secret: bytes, createdAt: typeof createdAt === 'string' ? createdAt : '' };
  });
  const versions = new Set(entries.map((entry) => entry.version));
  if (versions.size !== entries.length) throw new KeyringError('keyring versions must be unique');
  return { entries: entries.sort((a, b) => b.version - a.version) };
}

function serialize(keyring: Keyring): string {
  const keys = [...keyring.entries]
    .sort((a, b) => a.version - b.version)
    .map((entry) => ({ version: entry.version, secret: entry.secret.toString('base64'), created_at: entry.createdAt }));
  return `${JSON.stringify({ keys }, null, 2)}\n`;
}

function newEntry(version: number): KeyringEntry {
  return { version, secret: randomBytes(32), createdAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
}

/** Reads a keyring file; in production a file readable by group or others is refused. */
export function readKeyringFile(path: string, options: { requirePrivate: boolean }): Keyring {
  let mode: number;
  let text: string;
  try {
    // Mode and content from one open file, so the permission check is about the bytes that are used.
    const fd = openSync(path, constants.O_RDONLY);
    try {
      mode = fstatSync(fd).mode;
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new KeyringError(`cannot read keyring file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (options.requirePrivate && (mode & 0o077) !== 0) {
    throw new KeyringError('keyring file must not be readable by group or others (chmod 600)');
  }
  return parseKeyring(text);
}

/** Creates a new keyring file with one version (mode 0600, its folder 0700 if created); refuses to overwrite. */
export function createKeyringFile(path: string): Keyring {
  const keyring: Keyring = { entries: [newEntry(1)] };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new KeyringError(`${path} already exists`);
    throw error;
  }
  try {
    writeFileSync(fd, serialize(keyring));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return keyring;
}

/** How long a rotation waits for another one to finish before giving up. */
const LOCK_WAIT_MS = 10_000;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Holds `<file>.lock` (created exclusively) while `work` runs, so two rotations never both read version N and
 * both write N+1. A lock left by a crashed rotation is not broken automatically (telling a stale lock from a slow
 * one is itself a race); the error names it so an operator can remove it.
 */
function withKeyringLock<T>(path: string, work: () => T): T {
  const lock = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  let fd: number;
  for (;;) {
    try {
      fd = openSync(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() > deadline) {
        throw new KeyringError(`${lock} is held by another rotation (remove it if none is running)`);
      }
      sleep(20 + Math.floor(Math.random() * 30));
    }
  }
  try {
    writeFileSync(fd, `${process.pid}\n`);
    return work();
  } finally {
    closeSync(fd);
    unlinkSync(lock);
  }
}

/**
 * Adds a version to a keyring file; old versions stay so keys made with them keep verifying. Under the lock, the
 * new file is written to a temporary file, flushed and renamed over the old one, so a running server never reads
 * a half-written keyring and a crash never leaves none.
 */
export function rotateKeyringFile(path: string): Keyring {
  return withKeyringLock(path, () => {
    const current = readKeyringFile(path, { requirePrivate: false });
    const keyring: Keyring = {
      entries: [newEntry(newestEntry(current).version + 1), ...current.entries],
    };
    const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      try {
        writeFileSync(fd, serialize(keyring));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
    syncFolder(dirname(path));
    return keyring;
  });
}

/** Makes a rename durable: the folder entry is flushed too. */
function syncFolder(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
