import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileStorage, type FileStorage, isFileStorage } from '../../../src/media/file-storage.js';
import { InvalidObjectKeyError } from '../../../src/media/object-key.js';
import { openAudioStorage } from '../../../src/media/open-storage.js';
import { verifyMediaUrl } from '../../../src/media/signed-urls.js';
import { StorageUnavailableError } from '../../../src/media/storage.js';
import { keyringEntry, keyringOf, temporaryFolder } from '../../media/helpers.js';

const keyring = keyringOf(keyringEntry(1), keyringEntry(2));
const NOW = Date.UTC(2026, 4, 25, 14, 0, 0, 456);

function listFiles(root: string): string[] {
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

describe('file storage', () => {
  let work: ReturnType<typeof temporaryFolder>;
  let dir: string;
  let source: string;
  let storage: FileStorage;

  beforeEach(() => {
    work = temporaryFolder('file-storage');
    dir = join(work.path, 'audio');
    mkdirSync(dir);
    source = join(work.path, 'source.wav');
    writeFileSync(source, 'RIFF0123456789');
    storage = createFileStorage(dir, {
      publicBaseUrl: 'http://127.0.0.1:8080',
      keyring: () => keyring,
      now: () => NOW,
    });
  });

  afterEach(() => work.remove());

  it('stores a copy with its content type and reports it', async () => {
    await storage.putFile('org_x/doc_y.wav', source, 'audio/wav');
    expect(await storage.head('org_x/doc_y.wav')).toEqual({ size: 14, contentType: 'audio/wav' });
    expect(readFileSync(join(dir, 'org_x/doc_y.wav'), 'utf8')).toBe('RIFF0123456789');
    // Nothing but the object and its sidecar: temporary files were renamed away.
    expect(listFiles(dir)).toEqual(['org_x/doc_y.wav', 'org_x/doc_y.wav.meta.json']);
  });

  it('replaces an object', async () => {
    await storage.putFile('a.wav', source, 'audio/wav');
    writeFileSync(source, 'ID3xyz');
    await storage.putFile('a.wav', source, 'audio/mpeg');
    expect(await storage.head('a.wav')).toEqual({ size: 6, contentType: 'audio/mpeg' });
  });

  it('creates the folder on the first upload', async () => {
    rmSync(dir, { recursive: true });
    await storage.putFile('org_x/doc_y.wav', source, 'audio/wav');
    expect(await storage.head('org_x/doc_y.wav')).not.toBeNull();
  });

  it('answers null for missing objects', async () => {
    await storage.putFile('org_x/doc_y.wav', source, 'audio/wav');
    expect(await storage.head('org_x/nope.wav')).toBeNull();
    expect(await storage.head('org_nope/doc_y.wav')).toBeNull();
    expect(await storage.head('org_x/doc_y.wav/deeper')).toBeNull(); // ENOTDIR
    expect(await storage.head('org_x')).toBeNull(); // a folder is not an object
    expect(await storage.openRead('org_x/nope.wav')).toBeNull();
    expect(await storage.openRead('org_x')).toBeNull();
  });

  it('serves files copied in by hand as application/octet-stream', async () => {
    writeFileSync(join(dir, 'manual.wav'), 'abc');
    expect(await storage.head('manual.wav')).toEqual({ size: 3, contentType: 'application/octet-stream' });
    writeFileSync(join(dir, 'manual.wav.meta.json'), '{not json');
    expect(await storage.head('manual.wav')).toEqual({ size: 3, contentType: 'application/octet-stream' });
  });

  it('rejects keys that could escape the folder, writing nothing', async () => {
    const bad = ['../escape.wav', '/tmp/escape.wav', 'a/../../escape.wav', 'a\\..\\b', 'a\0b', '.hidden', 'a//b', ''];
    for (const key of bad) {
      await expect(storage.putFile(key, source, 'audio/wav')).rejects.toBeInstanceOf(InvalidObjectKeyError);
      await expect(storage.head(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
      await expect(storage.openRead(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
      await expect(storage.issueUrl(key, 900)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    }
    expect(listFiles(work.path)).toEqual(['source.wav']);
  });

  it('rejects a content type that cannot be a header', async () => {
    for (const contentType of ['', 'audio', 'audio/wav\r\nX-Evil: 1', 'audio/wäv']) {
      await expect(storage.putFile('a.wav', source, contentType)).rejects.toThrow(/content type/);
    }
  });

  it('reports a bad source as a plain error, not an outage', async () => {
    const missing = storage.putFile('a.wav', join(work.path, 'missing.wav'), 'audio/wav');
    await expect(missing).rejects.toThrow(/cannot read .*missing\.wav \(ENOENT\)/);
    await expect(storage.putFile('a.wav', work.path, 'audio/wav')).rejects.toThrow(/is not a file/);
    await expect(storage.putFile('a.wav', work.path, 'audio/wav')).rejects.not.toBeInstanceOf(StorageUnavailableError);
  });

  it('is unavailable when its folder is missing or not a folder', async () => {
    rmSync(dir, { recursive: true });
    await expect(storage.head('a.wav')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(storage.openRead('a.wav')).rejects.toBeInstanceOf(StorageUnavailableError);
    writeFileSync(dir, 'not a folder');
    await expect(storage.head('a.wav')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(storage.putFile('a.wav', source, 'audio/wav')).rejects.toBeInstanceOf(StorageUnavailableError);
  });

  it('is unavailable on a read fault other than a missing file', async () => {
    writeFileSync(join(dir, 'a.wav'), 'abc');
    mkdirSync(join(dir, 'a.wav.meta.json')); // reading it fails with EISDIR
    await expect(storage.head('a.wav')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(storage.openRead('a.wav')).rejects.toBeInstanceOf(StorageUnavailableError);
  });

  it('opens an object for reading, whole or by range', async () => {
    await storage.putFile('a.wav', source, 'audio/wav');
    const whole = await storage.openRead('a.wav');
    expect(whole).toMatchObject({ size: 14, contentType: 'audio/wav' });
    expect(await text(whole!.stream())).toBe('RIFF0123456789');
    await whole!.close(); // already owned by the stream: a no-op
    const part = await storage.openRead('a.wav');
    expect(await text(part!.stream({ start: 4, end: 6 }))).toBe('012');
    const unused = await storage.openRead('a.wav');
    await unused!.close();
    await unused!.close();
    expect(() => unused!.stream()).toThrow();
  });

  it('issues a signed URL for the newest keyring version, expiring on a whole second', async () => {
    const issued = await storage.issueUrl('org_x/doc_y.wav', 900);
    expect(issued.expiresAtMs).toBe(Date.UTC(2026, 4, 25, 14, 15, 0));
    const url = new URL(issued.url);
    expect(url.origin).toBe('http://127.0.0.1:8080');
    expect(url.searchParams.get('v')).toBe('2');
    expect(url.searchParams.get('exp')).toBe(String(issued.expiresAtMs / 1000));
    const token = url.pathname.replace('/media/v1/', '');
    expect(verifyMediaUrl(keyring, token, url.searchParams, NOW)).toBe('org_x/doc_y.wav');
  });

  it('lets the keyring error propagate from issueUrl', async () => {
    const failing = createFileStorage(dir, {
      publicBaseUrl: 'http://x',
      keyring: () => {
        throw new Error('keyring down');
      },
    });
    await expect(failing.issueUrl('a.wav', 60)).rejects.toThrow('keyring down');
  });
});

describe('openAudioStorage', () => {
  const config = { publicBaseUrl: 'http://127.0.0.1:8080' };

  it('opens a file storage for file:<dir>, relative to the working directory', async () => {
    const storage = openAudioStorage({ ...config, audioStorage: 'file:./data/audio' }, () => keyring);
    expect(isFileStorage(storage)).toBe(true);
    expect((storage as FileStorage).dir).toBe(join(process.cwd(), 'data/audio'));
    await storage.close();
  });

  it('opens an S3 storage for s3://bucket/prefix', async () => {
    const storage = openAudioStorage({ ...config, audioStorage: 's3://audio-bucket/recordings' }, () => keyring, {
      env: { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' },
    });
    expect(isFileStorage(storage)).toBe(false);
    await storage.close();
  });

  it('refuses anything else', () => {
    expect(() => openAudioStorage({ ...config, audioStorage: 'ftp://x' }, () => keyring)).toThrow();
  });
});
