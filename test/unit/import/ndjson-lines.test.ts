/** The byte-level line limits of the import (CONTRACT.md section 11), on the reader itself. */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImportError } from '../../../src/import/import-error.js';
import { nestsDeeperThan, readNdjsonLines } from '../../../src/import/ndjson-lines.js';

const dir = mkdtempSync(join(tmpdir(), 'charthero-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MIB = 1024 * 1024;
let files = 0;

async function readAll(bytes: Buffer | string): Promise<{ line: number; text: string }[]> {
  const path = join(dir, `f${++files}`);
  writeFileSync(path, bytes);
  return readPath(path);
}

async function readPath(path: string) {
  const handle = await open(path, 'r');
  try {
    const lines = [];
    for await (const line of readNdjsonLines(handle)) lines.push(line);
    return lines;
  } finally {
    await handle.close();
  }
}

async function refusal(bytes: Buffer | string): Promise<unknown> {
  return readAll(bytes).then(
    () => 'no error',
    (error: unknown) => error,
  );
}

describe('readNdjsonLines', () => {
  it('splits on \\n and \\r\\n, keeps blank lines in the numbering, strips a BOM on line 1 only', async () => {
    expect(await readAll('\uFEFF{"a":1}\r\n\n{"b":2}\n\uFEFF{"c":3}')).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, text: '' },
      { line: 3, text: '{"b":2}' },
      { line: 4, text: '\uFEFF{"c":3}' },
    ]);
  });

  it('decodes multi-byte characters split across reads', async () => {
    // 64 KiB reads: a 4-byte character straddles the first boundary.
    const text = `${'a'.repeat(64 * 1024 - 2)}😀é`;
    expect(await readAll(`${text}\n`)).toEqual([{ line: 1, text }]);
  });

  it('accepts a line of exactly 16 MiB and refuses one byte more, naming the line', async () => {
    const exact = 'x'.repeat(16 * MIB);
    expect((await readAll(`{}\n${exact}\n`))[1]!.text.length).toBe(16 * MIB);
    expect(await refusal(`{}\n${exact}\n`.replace(exact, `${exact}y`))).toEqual(
      new ImportError(2, 'longer than 16 MiB'),
    );
    // The same when the long line is the last one, with no newline after it.
    expect(await refusal(`{}\n{}\n${exact}y`)).toMatchObject({ line: 3, detail: 'longer than 16 MiB' });
  });

  it('stops reading a long line at the limit: an 8 GiB line without a newline is refused after 16 MiB', async () => {
    const path = join(dir, 'sparse');
    writeFileSync(path, '{}\n');
    truncateSync(path, 8 * 1024 * MIB); // Sparse: reading it all would take minutes and 8 GiB of memory.
    const started = process.hrtime.bigint();
    const rss = process.memoryUsage().rss;
    const error = await readPath(path).catch((e: unknown) => e);
    expect(error).toMatchObject({ line: 2, detail: 'longer than 16 MiB' });
    expect(Number(process.hrtime.bigint() - started) / 1e9).toBeLessThan(20);
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * MIB);
  });

  it('refuses invalid UTF-8 with the line number', async () => {
    const cases = [
      [0xff],
      [0xc0, 0xaf], // overlong "/"
      [0xed, 0xa0, 0x80], // an encoded surrogate
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xe2, 0x82], // truncated at the end of the line
    ];
    for (const bytes of cases) {
      const file = Buffer.concat([Buffer.from('{}\n{}\n"'), Buffer.from(bytes), Buffer.from('"\n{}\n')]);
      expect(await refusal(file)).toEqual(new ImportError(3, 'not valid UTF-8'));
    }
  });
});

describe('nestsDeeperThan', () => {
  const deep = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;
  it('counts arrays and objects, 32 levels allowed and 33 refused', () => {
    expect(nestsDeeperThan(deep(32), 32)).toBe(false);
    expect(nestsDeeperThan(deep(33), 32)).toBe(true);
    expect(nestsDeeperThan(`${'{"a":'.repeat(33)}1${'}'.repeat(33)}`, 32)).toBe(true);
    expect(nestsDeeperThan(`${'{"a":['.repeat(16)}1${']}'.repeat(16)}`, 32)).toBe(false);
    // Depth is nesting, not the number of containers: siblings do not add up.
    expect(nestsDeeperThan(`[${Array.from({ length: 100 }, () => deep(31)).join(',')}]`, 32)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan(`{"a":"${'['.repeat(100)}"}`, 32)).toBe(false);
    expect(nestsDeeperThan(`{"a":"\\"${'['.repeat(100)}"}`, 32)).toBe(false);
    expect(nestsDeeperThan(`{"a":"\\\\",${'"b":['.repeat(1)}${deep(32)}]}`, 32)).toBe(true);
  });
});
