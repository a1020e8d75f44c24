/**
 * The README must stay honest: start the server exactly as its quick start does (`serve --seed-if-empty` on the
 * default ./data layout, in a scratch folder), then run every curl of "Calling the API" and the onboarding CLI
 * commands as written, only pointing them at this test's port.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../cli/cli.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const BIN = join(ROOT, 'bin', 'charthero.js');

function section(title: string): string {
  const start = README.indexOf(`## ${title}`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

function bashBlocks(text: string): string[] {
  return [...text.matchAll(/```bash\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let dir: string;
let port: number;
let server: ChildProcess;
let output = '';
let key = '';

const env = () => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CHARTHERO_')));
  return { ...clean, PORT: String(port), LOG_LEVEL: 'warn' } as NodeJS.ProcessEnv;
};

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'charthero-readme-'));
  port = await freePort();
  // `npm start` is `node bin/charthero.js serve --seed-if-empty`; the package.json script is checked below.
  server = spawn(process.execPath, [BIN, 'serve', '--seed-if-empty'], { cwd: dir, env: env() });
  server.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 30_000;
  while (!/test key \(shown once, store it now\): (ch_sk_test_\w+)/.test(output)) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`server did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  key = /test key \(shown once, store it now\): (ch_sk_test_\w+)/.exec(output)![1]!;
}, 60_000);

afterAll(() => {
  server?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('README', () => {
  it('quick start: `npm ci && npm start`, `npm test`, and npm start is serve --seed-if-empty', () => {
    const quickStart = bashBlocks(section('Quick start'));
    expect(quickStart).toEqual(['npm ci && npm start\n', 'npm test\n']);
    const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts;
    expect(scripts.start).toBe('node bin/charthero.js serve --seed-if-empty');
    expect(output).toContain(`listening on http://127.0.0.1:${port}`);
    expect(output).toContain('seeded org_sandbox with 60 encounters');
  });

  it('every curl of "Calling the API" works as written', () => {
    const script = bashBlocks(section('Calling the API'))
      .join('\n')
      .replace('KEY=ch_sk_test_…', `KEY=${key}`)
      .replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`);
    const curls = script.split('\n').filter((line) => line.startsWith('curl '));
    expect(curls.length).toBe(7);
    const prelude = script
      .split('\n')
      .filter((line) => /^(KEY|BASE)=/.test(line))
      .join('\n');
    for (const curl of curls) {
      const body = execFileSync('bash', ['-c', `${prelude}\n${curl.replace(/ +#.*$/, '')} -w '\\n%{http_code}'`], {
        encoding: 'utf8',
      });
      const status = body.slice(body.lastIndexOf('\n') + 1);
      const json = JSON.parse(body.slice(0, body.lastIndexOf('\n')));
      if (curl.includes('limit=500')) {
        // The documented error example is shown verbatim in the README.
        expect(status).toBe('422');
        expect(README).toContain(`# ${JSON.stringify(json)}`);
      } else {
        expect(status, curl).toBe('200');
        expect(json, curl).not.toHaveProperty('reason_code');
      }
      if (curl.endsWith('/audio"')) {
        const audio = execFileSync(
          'curl',
          ['-s', '-o', '/dev/null', '-w', '%{http_code} %{content_type}', json.audio_url],
          {
            encoding: 'utf8',
          },
        );
        expect(audio).toBe('200 audio/wav');
      }
    }
  });

  it('the onboarding CLI commands work as written', () => {
    const commands = bashBlocks(README.slice(README.indexOf('A partner onboarding')))[0]!
      .trim()
      .split('\n');
    let keyId = '';
    for (const command of commands) {
      const args = command
        .replace(/^npx charthero /, '')
        .replace('key_…', keyId)
        .match(/"[^"]*"|\S+/g)!
        .map((arg) => arg.replace(/^"|"$/g, ''));
      const stdout = execFileSync(process.execPath, [BIN, ...args], { cwd: dir, env: env(), encoding: 'utf8' });
      if (args[0] === 'key' && args[1] === 'create') keyId = JSON.parse(stdout).id;
    }
    expect(keyId).toMatch(/^key_/);
  });
});
