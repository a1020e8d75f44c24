/**
 * PORT=0 without CHARTHERO_PUBLIC_BASE_URL (CONTRACT.md section 9, issue 13): the server listens on a port the
 * system picks, and the audio URLs it hands out name that port — so they work when fetched, over real HTTP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyringFile } from '../../src/access/digest-keyring.js';
import { loadConfig } from '../../src/config.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { freshDatabase } from '../support/database.js';
import { type Fixture, loadFixture } from '../support/fixture.js';

describe('PORT=0 without CHARTHERO_PUBLIC_BASE_URL', () => {
  let dir: string;
  let drop: () => Promise<void>;
  let server: RunningServer;
  let fixture: Fixture;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'charthero-port0-'));
    const database = await freshDatabase(dir);
    drop = database.drop;
    const config = loadConfig({
      CHARTHERO_DATABASE_URL: database.url,
      CHARTHERO_DIGEST_KEYS_FILE: join(dir, 'digest-keys.json'),
      CHARTHERO_AUDIO_STORAGE: `file:${join(dir, 'audio')}`,
      HOST: '127.0.0.1',
      PORT: '0',
    });
    expect(config.publicBaseUrl).toBe('http://127.0.0.1:0');
    createKeyringFile(config.digestKeysFile);
    server = await startServer(config, { logger: pino({ level: 'silent' }) as FastifyBaseLogger });
    fixture = await loadFixture(server.runtime, config, dir);
  });
  afterAll(async () => {
    await server?.close();
    await drop?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('hands out audio URLs on the port the server really listens on, and they serve the bytes', async () => {
    const listening = new URL(server.url);
    expect(listening.port).not.toBe('0');
    expect(listening.port).not.toBe('');

    const response = await fetch(`${server.url}/external/v1/encounters/enc_a1/documents/doc_amb/audio`, {
      headers: { authorization: `Bearer ${fixture.keys.full.secret}` },
    });
    expect(response.status).toBe(200);
    const { audio_url: audioUrl } = (await response.json()) as { audio_url: string };
    const media = new URL(audioUrl);
    expect(`${media.protocol}//${media.host}`).toBe(`http://127.0.0.1:${listening.port}`);
    expect(media.pathname).toMatch(/^\/media\/v1\/[A-Za-z0-9_-]+$/);

    const audio = await fetch(audioUrl);
    expect(audio.status).toBe(200);
    expect(Buffer.from(await audio.arrayBuffer())).toEqual(fixture.audio);
  });
});
