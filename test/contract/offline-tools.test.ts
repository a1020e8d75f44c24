/**
 * Nothing in lint, tests or CI reaches outside the machine: `npm run openapi:lint` (Redocly CLI) is run as a
 * developer would, on a terminal and outside CI, with every connection attempt recorded. Redocly otherwise sends
 * usage data (otel.cloud.redocly.com) and, on a terminal, checks npm for updates (registry.npmjs.org).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { ROOT } from '../cli/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'charthero-offline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('`npm run openapi:lint` passes and attempts no connection, DNS lookup or fetch', async () => {
  const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts['openapi:lint']!;
  const log = join(dir, 'network.log');
  writeFileSync(log, '');
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    // Not CI, not a test run (vitest sets NODE_ENV=test, which Redocly takes as "stay quiet"): a developer's shell.
    if (
      value !== undefined &&
      !['CI', 'NODE_ENV', 'REDOCLY_TELEMETRY', 'REDOCLY_SUPPRESS_NOTIFICATIONS'].includes(name)
    ) {
      env[name] = value;
    }
  }
  Object.assign(env, {
    PATH: `${join(ROOT, 'node_modules', '.bin')}${delimiter}${process.env.PATH ?? ''}`,
    NODE_OPTIONS: `--import=${join(ROOT, 'test', 'support', 'network-log.mjs')}`,
    NETWORK_LOG: log,
    // Fresh home and temp folders: Redocly skips its update check for 12 hours after one, wherever it noted it.
    HOME: dir,
    TMPDIR: dir,
  });
  // `script` gives the command a terminal, as on a developer's machine (Redocly checks for updates only there).
  const result = await promisify(execFile)('script', ['-qec', script, '/dev/null'], {
    cwd: ROOT,
    env,
    timeout: 60_000,
  });
  expect(result.stdout).toMatch(/valid/i);
  expect(readFileSync(log, 'utf8')).toBe('');
}, 60_000);
