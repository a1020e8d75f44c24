/**
 * The byte-level limits of an import line (docs/import.md): valid UTF-8, at most 16 MiB, JSON nested at
 * most 32 levels. Lines are split from the raw bytes, so a line over the limit is refused once the limit is passed,
 * never buffered to its end, and memory stays at one line plus one read buffer whatever the file holds.
 */
import type { FileHandle } from 'node:fs/promises';
import { ImportError } from './import-error.js';

const MAX_LINE_BYTES = 16 * 1024 * 1024;
export const MAX_JSON_DEPTH = 32;
const READ_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export interface SourceLine {
  /** 1-based physical line number, blank lines included. */
  line: number;
  text: string;
}

function decodeLine(line: number, bytes: Uint8Array): SourceLine {
  const body = bytes.at(-1) === CARRIAGE_RETURN ? bytes.subarray(0, -1) : bytes;
  let text: string;
  try {
    // A fresh fatal decoder each time: no state carries over, and a BOM is kept (only line 1 may start with one).
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    throw new ImportError(line, 'not valid UTF-8');
  }
  return { line, text: line === 1 ? text.replace(/^\uFEFF/, '') : text };
}

/** Reads the lines of an opened file, `\n` or `\r\n` terminated; throws ImportError for a line over the limits. */
export async function* readNdjsonLines(handle: FileHandle): AsyncGenerator<SourceLine> {
  const buffer = Buffer.allocUnsafe(READ_BYTES);
  let pieces: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  const tooLong = () => new ImportError(line + 1, 'longer than 16 MiB');
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, null);
    if (bytesRead === 0) break;
    const data = buffer.subarray(0, bytesRead);
    let start = 0;
    for (let end = data.indexOf(NEWLINE); end !== -1; end = data.indexOf(NEWLINE, start)) {
      const tail = data.subarray(start, end);
      if (pendingBytes + tail.length > MAX_LINE_BYTES) throw tooLong();
      // Decoded before the next read reuses the buffer.
      const bytes = pieces.length === 0 ? tail : Buffer.concat([...pieces, tail]);
      pieces = [];
      pendingBytes = 0;
      yield decodeLine(++line, bytes);
      start = end + 1;
    }
    const rest = data.subarray(start);
    if (pendingBytes + rest.length > MAX_LINE_BYTES) throw tooLong();
    if (rest.length > 0) {
      pieces.push(Buffer.from(rest));
      pendingBytes += rest.length;
    }
  }
  if (pendingBytes > 0) yield decodeLine(++line, Buffer.concat(pieces));
}

/**
 * Whether JSON text opens more than `max` arrays or objects inside one another. A linear scan before parsing, so a
 * deep line costs no recursion; brackets inside strings do not count.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i++;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > max) return true;
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
  return false;
}
