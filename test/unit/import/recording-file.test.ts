/**
 * The opened-handle check of recording-file.ts: what is refused after open, whatever the path looked like before it
 * (a folder swapped for a link between realpath and open ends up as a handle outside the folder).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { checkOpenedFile, importFolder, isInside } from '../../../src/import/recording-file.js';

const dir = mkdtempSync(join(tmpdir(), 'charthero-recording-'));
mkdirSync(join(dir, 'import', 'audio'), { recursive: true });
writeFileSync(join(dir, 'import', 'audio', 'in.wav'), 'RIFF');
writeFileSync(join(dir, 'secret.json'), '{}');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function checked(path: string): Promise<string> {
  const folder = await importFolder(join(dir, 'import'));
  const handle = await open(path, 'r');
  try {
    await checkOpenedFile(folder, handle, '"x"');
    return 'accepted';
  } catch (error) {
    return (error as Error).message;
  } finally {
    await handle.close();
  }
}

it('accepts a regular file inside the folder', async () => {
  expect(await checked(join(dir, 'import', 'audio', 'in.wav'))).toBe('accepted');
});

it.runIf(process.platform === 'linux')('refuses a handle that is really outside the folder', async () => {
  expect(await checked(join(dir, 'secret.json'))).toBe(`recording.file: "x" resolves outside the import file's folder`);
});

it('refuses a handle that is not a regular file', async () => {
  expect(await checked(join(dir, 'import', 'audio'))).toBe('recording.file: "x" is not a regular file');
});

it('isInside: strictly below the folder, not the folder itself nor a sibling with a common prefix', () => {
  expect(isInside('/a/import', '/a/import/x.wav')).toBe(true);
  expect(isInside('/a/import', '/a/import/..x.wav')).toBe(true);
  expect(isInside('/a/import', '/a/import')).toBe(false);
  expect(isInside('/a/import', '/a/import-2/x.wav')).toBe(false);
  expect(isInside('/a/import', '/a/x.wav')).toBe(false);
  expect(isInside('/', '/etc/passwd')).toBe(true);
});
