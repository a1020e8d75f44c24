/**
 * The versioned digest keyring (docs/keys.md and docs/cli.md): secrets that never live in the database.
 * Key digests are HMAC-SHA256(secret, token); media URLs are signed with a key derived under a label of its own.
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';

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

export function newestEntry(keyring: Keyring): KeyringEntry {
  return keyring.entries[0]!;
}

export function entryByVersion(keyring: Keyring, version: number): KeyringEntry | undefined {
  return keyring.entries.find((entry) => entry.version === version);
}

export function keyDigest(entry: KeyringEntry, token: string): string {
  return createHmac('sha256', entry.secret).update(token).digest('hex');
}

/** A signing key for media URLs that can never be confused with a key digest (a different HMAC input domain). */
export function mediaSigningKey(entry: KeyringEntry): Buffer {
  return createHmac('sha256', entry.secret).update(MEDIA_LABEL).digest();
}

export function parseKeyring(text: string): Keyring {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KeyringError('keyring file is not valid JSON');
  }
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
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new KeyringError(`cannot read keyring file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (options.requirePrivate && (mode & 0o077) !== 0) {
    throw new KeyringError('keyring file must not be readable by group or others (chmod 600)');
  }
  return parseKeyring(text);
}

/** Creates a new keyring file with one version; refuses to overwrite an existing file. */
export function createKeyringFile(path: string): Keyring {
  const keyring: Keyring = { entries: [newEntry(1)] };
  mkdirSync(dirname(path), { recursive: true });
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new KeyringError(`${path} already exists`);
    throw error;
  }
  try {
    writeFileSync(fd, serialize(keyring));
  } finally {
    closeSync(fd);
  }
  return keyring;
}

/** Adds a version to a keyring file; old versions stay so keys made with them keep verifying. */
export function rotateKeyringFile(path: string): Keyring {
  const current = readKeyringFile(path, { requirePrivate: false });
  const keyring: Keyring = {
    entries: [newEntry(newestEntry(current).version + 1), ...current.entries],
  };
  // Write then rename, so a running server never reads a half-written keyring.
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, serialize(keyring), { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
  return keyring;
}
