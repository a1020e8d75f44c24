/**
 * Test harness: a real runtime (SQLite in a temp folder, or PostgreSQL when TEST_DATABASE_URL is set, each
 * harness on a fresh database), a fixture data set, and keys in every state. Requests go through `app.inject()`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { type Config, loadConfig } from '../../src/config.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime.js';
import { freshDatabase } from './database.js';
import { type Fixture, loadFixture } from './fixture.js';

export interface Harness {
  runtime: Runtime;
  config: Config;
  fixture: Fixture;
  dir: string;
  /** Every log line the server wrote, for log-hygiene assertions. */
  logs: string[];
  get(url: string, headers?: Record<string, string | string[]>): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  runtime?: RuntimeOptions;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'charthero-test-'));
  const database = await freshDatabase(dir);
  const config = loadConfig({
    CHARTHERO_DATABASE_URL: database.url,
    CHARTHERO_DIGEST_KEYS_FILE: join(dir, 'digest-keys.json'),
    CHARTHERO_AUDIO_STORAGE: `file:${join(dir, 'audio')}`,
    CHARTHERO_PUBLIC_BASE_URL: 'http://127.0.0.1:8080',
    LOG_LEVEL: 'info',
    // The route suites send far more failing keys from one address than the throttle allows; its own suite
    // (test/hardening/auth-failure-throttle.test.ts) turns it back on.
    CHARTHERO_AUTH_FAILURE_LIMIT: '0',
    ...options.env,
  });
  const { createKeyringFile } = await import('../../src/access/digest-keyring.js');
  createKeyringFile(config.digestKeysFile);
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }) as FastifyBaseLogger;
  const runtime = await createRuntime(config, { logger, ...options.runtime });
  const fixture = await loadFixture(runtime, config, dir);
  return {
    runtime,
    config,
    fixture,
    dir,
    logs,
    get: (url, headers = {}) => runtime.app.inject({ method: 'GET', url, headers }),
    async close() {
      await runtime.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function writeFile(path: string, content: string | Buffer) {
  writeFileSync(path, content);
}
