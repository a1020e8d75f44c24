/**
 * The SDK's types come from the committed OpenAPI artifact. This regenerates them exactly as `npm run generate`
 * does (the openapi-typescript CLI) and fails when src/generated/openapi.ts differs: run
 * `npm run generate -w @charthero/client` after changing openapi/v1/openapi.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { VERSION } from '../../src/index.js';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const workdir = mkdtempSync(join(tmpdir(), 'charthero-client-gen-'));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

function openapiTypescriptCli(): string {
  const manifest = require.resolve('openapi-typescript/package.json');
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: string | Record<string, string> };
  const entry = typeof bin === 'string' ? bin : bin['openapi-typescript']!;
  return join(dirname(manifest), entry);
}

it('src/generated/openapi.ts matches the committed OpenAPI artifact (run `npm run generate` if not)', () => {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  // The same arguments as the package's generate script, with the output redirected.
  const args = manifest.scripts.generate!.split(/\s+/).slice(1);
  const output = args.indexOf('-o');
  expect(output).toBeGreaterThan(0);
  const committed = join(packageDir, args[output + 1]!);
  args[output + 1] = join(workdir, 'openapi.ts');
  execFileSync(process.execPath, [openapiTypescriptCli(), ...args], { cwd: packageDir, stdio: 'pipe' });
  const fresh = readFileSync(args[output + 1]!, 'utf8');
  expect(fresh.length).toBeGreaterThan(1000);
  expect(readFileSync(committed, 'utf8')).toBe(fresh);
});

it('VERSION matches package.json', () => {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  expect(VERSION).toBe(manifest.version);
});

it('has no runtime dependencies', () => {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  expect(Object.keys(manifest.dependencies ?? {})).toEqual([]);
  expect(Object.keys(manifest.peerDependencies ?? {})).toEqual([]);
});
