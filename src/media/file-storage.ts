/**
 * The built-in audio storage: objects are files under one folder, served by the app itself through signed media
 * URLs (docs/api.md, media URLs). Each object `a/b.wav` has a sidecar `a/b.wav.meta.json` holding its content type.
 */
import { randomBytes } from 'node:crypto';
import {
  chmod,
  copyFile,
  type FileHandle,
  mkdir,
  open,
  readFile,
  rename,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { type Keyring, newestEntry } from '../access/digest-keyring.js';
import { META_SUFFIX, requireObjectKey } from './object-key.js';
import { signMediaUrl } from './signed-urls.js';
import { sourceFileSize } from './source-file.js';
import { type AudioStorage, type IssuedUrl, StorageUnavailableError, type StoredObject } from './storage.js';

/** Inclusive byte offsets, as in an HTTP Range header. */
export interface ByteRange {
  start: number;
  end: number;
}

/** An opened object: metadata from the same open file the bytes will come from, so they always agree. */
export interface FileObjectReader extends StoredObject {
  /** Streams the range (or the whole object); the stream owns the file from then on. Call at most once. */
  stream(range?: ByteRange): Readable;
  /** Releases the file when no stream will be taken (HEAD, 416). Safe to call more than once. */
  close(): Promise<void>;
}

export interface FileStorage extends AudioStorage {
  readonly kind: 'file';
  /** Absolute path of the storage folder. */
  readonly dir: string;
  /** Null when the object is missing; throws StorageUnavailableError when the folder cannot be read. */
  openRead(objectKey: string): Promise<FileObjectReader | null>;
}

export interface FileStorageOptions {
  publicBaseUrl: string;
  /** Throws PublicError('digest_key_unavailable') when the keyring cannot be loaded. */
  keyring: () => Keyring;
  /** Clock for URL expiry (tests). */
  now?: () => number;
}

const PRIVATE_FOLDER = 0o700;
const PRIVATE_FILE = 0o600;
const FALLBACK_CONTENT_TYPE = 'application/octet-stream';
/** type/subtype with optional parameters, printable ASCII only: it goes straight into a response header. */
const CONTENT_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(;[\x20-\x7e]*)?$/;

function isValidContentType(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 255 && CONTENT_TYPE.test(value);
}

export function isFileStorage(storage: AudioStorage): storage is FileStorage {
  return (storage as Partial<FileStorage>).kind === 'file';
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** ENOTDIR counts as missing: a file where a key expects a folder means there is no such object. */
function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function unavailable(error: unknown): StorageUnavailableError {
  return new StorageUnavailableError(`audio storage folder cannot be read (${errorCode(error) ?? 'error'})`, {
    cause: error,
  });
}

export function createFileStorage(dir: string, options: FileStorageOptions): FileStorage {
  const root = resolve(dir);
  const now = options.now ?? Date.now;

  function pathOf(objectKey: string): string {
    requireObjectKey(objectKey);
    const path = join(root, ...objectKey.split('/'));
    // Defence in depth: the key rules already keep every path inside the folder.
    if (!path.startsWith(root + sep)) throw new Error('object path escapes the storage folder');
    return path;
  }

  /** A missing or unreadable folder is "storage unreachable" (e.g. an unmounted volume), not a missing object. */
  async function checkRoot(): Promise<void> {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(root)).isDirectory();
    } catch (error) {
      throw unavailable(error);
    }
    if (!isDirectory) throw new StorageUnavailableError('audio storage path is not a folder');
  }

  async function readContentType(path: string): Promise<string> {
    let text: string;
    try {
      text = await readFile(`${path}${META_SUFFIX}`, 'utf8');
    } catch (error) {
      // Objects copied in by hand have no sidecar; they are still served.
      if (isMissing(error)) return FALLBACK_CONTENT_TYPE;
      throw unavailable(error);
    }
    try {
      const contentType = (JSON.parse(text) as { content_type?: unknown }).content_type;
      return isValidContentType(contentType) ? contentType : FALLBACK_CONTENT_TYPE;
    } catch {
      return FALLBACK_CONTENT_TYPE;
    }
  }

  /** Writes via a hidden temporary file in the same folder, then renames, so readers never see a partial file. */
  async function atomically(target: string, write: (temporary: string) => Promise<void>): Promise<void> {
    const temporary = join(dirname(target), `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await write(temporary);
      await rename(temporary, target);
    } catch (error) {
      await unlink(temporary).catch(() => {});
      throw error;
    }
  }

  async function putFile(objectKey: string, sourcePath: string, contentType: string): Promise<void> {
    const path = pathOf(objectKey);
    if (!isValidContentType(contentType)) throw new Error(`invalid content type ${JSON.stringify(contentType)}`);
    await sourceFileSize(sourcePath);
    try {
      // Audio is PHI: folders and objects are the owner's only (docs/import.md).
      await mkdir(dirname(path), { recursive: true, mode: PRIVATE_FOLDER });
      // Sidecar first: a failure after it leaves no object, so head() still answers "missing".
      await atomically(`${path}${META_SUFFIX}`, (temporary) =>
        writeFile(temporary, `${JSON.stringify({ content_type: contentType })}\n`, { mode: PRIVATE_FILE }),
      );
      await atomically(path, async (temporary) => {
        // copyFile carries the source's mode over; the object's is set here whatever the source had.
        await copyFile(sourcePath, temporary);
        await chmod(temporary, PRIVATE_FILE);
      });
    } catch (error) {
      throw new StorageUnavailableError(`cannot write to audio storage (${errorCode(error) ?? 'error'})`, {
        cause: error,
      });
    }
  }

  async function openRead(objectKey: string): Promise<FileObjectReader | null> {
    const path = pathOf(objectKey);
    await checkRoot();
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (isMissing(error)) return null;
      throw unavailable(error);
    }
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await handle.close().catch(() => {});
    };
    try {
      const info = await handle.stat();
      if (!info.isFile()) {
        await close();
        return null;
      }
      const contentType = await readContentType(path);
      return {
        size: info.size,
        contentType,
        stream(range?: ByteRange): Readable {
          if (closed) throw new Error('object reader already used');
          closed = true;
          return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
        },
        close,
      };
    } catch (error) {
      await close();
      throw error instanceof StorageUnavailableError ? error : unavailable(error);
    }
  }

  async function head(objectKey: string): Promise<StoredObject | null> {
    const path = pathOf(objectKey);
    await checkRoot();
    let size: number;
    try {
      const info = await stat(path);
      if (!info.isFile()) return null;
      size = info.size;
    } catch (error) {
      if (isMissing(error)) return null;
      throw unavailable(error);
    }
    return { size, contentType: await readContentType(path) };
  }

  async function issueUrl(objectKey: string, ttlSeconds: number): Promise<IssuedUrl> {
    pathOf(objectKey);
    // Whole seconds, so `expires_at` in the response is exactly the `exp` in the URL.
    const expiresAtMs = (Math.floor(now() / 1000) + ttlSeconds) * 1000;
    const entry = newestEntry(options.keyring());
    return { url: signMediaUrl({ publicBaseUrl: options.publicBaseUrl, objectKey, expiresAtMs, entry }), expiresAtMs };
  }

  return { kind: 'file', dir: root, putFile, head, issueUrl, openRead, close: async () => {} };
}
