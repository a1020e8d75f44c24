/**
 * Reading a recording's `file` (docs/import.md): only a regular file inside the import file's folder, after
 * `..` and symbolic links. The path is resolved with realpath and checked; the file is then opened without following
 * a final link and without blocking (a FIFO must not hang the import), the opened handle itself is checked (a
 * regular file, and — where /proc shows it — really inside the folder), and its bytes are copied from that handle
 * into the import's private spool. Storage later copies from the spool, so a path swapped after the check can
 * neither escape nor change what is stored.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { RecordError } from './records.js';

/** The import file's folder, resolved once. */
export interface ImportFolder {
  /** As given: recording paths are resolved against it. */
  dir: string;
  /** Its realpath: every recording must resolve inside it. */
  real: string;
}

export interface CapturedRecording {
  byteSize: number;
  sha256: string;
}

export async function importFolder(dir: string): Promise<ImportFolder> {
  return { dir, real: await realpath(dir) };
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Whether `path` (a realpath) lies strictly inside the folder `real`. */
export function isInside(real: string, path: string): boolean {
  const rest = relative(real, path);
  return rest !== '' && rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest);
}

/**
 * Where the opened handle really is, read back from the kernel (Linux /proc), or null where that is not available;
 * this catches a folder on the path swapped for a link between realpath and open.
 */
async function openedPath(handle: FileHandle): Promise<string | null> {
  try {
    return await realpath(`/proc/self/fd/${handle.fd}`);
  } catch {
    return null;
  }
}

/** Refuses a handle that is not a regular file inside the folder. */
export async function checkOpenedFile(folder: ImportFolder, handle: FileHandle, quoted: string): Promise<void> {
  const info = await handle.stat();
  if (!info.isFile()) throw new RecordError(`recording.file: ${quoted} is not a regular file`);
  const path = await openedPath(handle);
  if (path !== null && !isInside(folder.real, path)) {
    throw new RecordError(`recording.file: ${quoted} resolves outside the import file's folder`);
  }
}

/** Copies from the handle; a read failure is the line's fault, a spool write failure is not. */
async function copyHandle(source: FileHandle, target: string, quoted: string): Promise<CapturedRecording> {
  const hash = createHash('sha256');
  const output = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  const buffer = Buffer.allocUnsafe(64 * 1024);
  let byteSize = 0;
  try {
    for (;;) {
      const { bytesRead } = await source.read(buffer, 0, buffer.length, byteSize).catch(() => {
        throw new RecordError(`recording.file: no readable file at ${quoted}`);
      });
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      for (let written = 0; written < chunk.length; ) {
        written += (await output.write(chunk, written, chunk.length - written)).bytesWritten;
      }
      byteSize += bytesRead;
    }
  } finally {
    await output.close();
  }
  return { byteSize, sha256: hash.digest('hex') };
}

/** Checks `file` (as written in the record) and copies its bytes to `target`, a new file in the spool. */
export async function captureRecordingFile(
  folder: ImportFolder,
  file: string,
  target: string,
): Promise<CapturedRecording> {
  const quoted = JSON.stringify(file);
  if (isAbsolute(file)) throw new RecordError('recording.file: must be a path relative to the import file');
  let real: string;
  try {
    real = await realpath(resolve(folder.dir, file));
  } catch (error) {
    if (code(error) === 'ELOOP') throw new RecordError(`recording.file: ${quoted} is a symbolic link loop`);
    throw new RecordError(`recording.file: no readable file at ${quoted}`);
  }
  if (!isInside(folder.real, real)) {
    throw new RecordError(`recording.file: ${quoted} resolves outside the import file's folder`);
  }
  // Checked before opening as well: opening a FIFO or a device can have effects even without reading.
  const info = await stat(real).catch(() => null);
  if (info === null) throw new RecordError(`recording.file: no readable file at ${quoted}`);
  if (!info.isFile()) throw new RecordError(`recording.file: ${quoted} is not a regular file`);
  let handle: FileHandle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    // The last part became a link after realpath: something is changing the folder under the import.
    if (code(error) === 'ELOOP') {
      throw new RecordError(`recording.file: ${quoted} resolves outside the import file's folder`);
    }
    throw new RecordError(`recording.file: no readable file at ${quoted}`);
  }
  try {
    await checkOpenedFile(folder, handle, quoted);
    return await copyHandle(handle, target, quoted);
  } finally {
    await handle.close();
  }
}
