/**
 * The SDK's types, reason table and list bounds come from the committed OpenAPI artifact. This regenerates them
 * exactly as `npm run generate` does (the openapi-typescript CLI, then scripts/generate-contract.mjs) and fails when
 * src/generated/ differs: run
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

/** The package's generate script: one `program args…` per `&&`-separated command. */
function generateCommands(): string[][] {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  return manifest.scripts.generate!.split('&&').map((command) => command.trim().split(/\s+/));
}

/** Runs one generate command with its `-o` redirected to the work folder; returns [committed, fresh] texts. */
function regenerate(program: string, runner: (args: string[]) => string[]): [string, string] {
  const command = generateCommands().find(([name]) => name === program);
  expect(command, `the generate script runs ${program}`).toBeDefined();
  const args = command!.slice(1);
  const output = args.indexOf('-o');
  expect(output).toBeGreaterThan(0);
  const committed = join(packageDir, args[output + 1]!);
  args[output + 1] = join(workdir, `${program.replaceAll('/', '_')}.ts`);
  execFileSync(process.execPath, runner(args), { cwd: packageDir, stdio: 'pipe' });
  return [readFileSync(committed, 'utf8'), readFileSync(args[output + 1]!, 'utf8')];
}

it('src/generated/openapi.ts matches the committed OpenAPI artifact (run `npm run generate` if not)', () => {
  const [committed, fresh] = regenerate('openapi-typescript', (args) => [openapiTypescriptCli(), ...args]);
  expect(fresh.length).toBeGreaterThan(1000);
  expect(committed).toBe(fresh);
});

it('src/generated/contract.ts (reason table, list bounds) matches the artifact (run `npm run generate` if not)', () => {
  const [committed, fresh] = regenerate('node', (args) => args);
  expect(fresh).toContain('export const REASON_TABLE = {');
  expect(committed).toBe(fresh);
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
