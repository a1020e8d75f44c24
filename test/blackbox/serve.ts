/**
 * Black-box helpers: a real `node bin/charthero.js serve` process on a free port, and one-shot CLI commands run
 * the way an operator runs them (a separate process, its own environment, exit code and one line on stderr).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from '../cli/cli.js';

export const BIN = join(ROOT, 'bin', 'charthero.js');

/** The parent's CHARTHERO_* variables never leak into a spawned process. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('CHARTHERO_')) env[name] = value;
  }
  return { ...env, ...extra };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ServedProcess {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything printed on stdout so far. */
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * `charthero serve [...args]` in `cwd` with `env` (added to a clean environment) on a free port, resolved once it
 * prints `listening on <url>` (and, with --seed-if-empty on an empty database, the test key line).
 */
export async function serve(options: {
  cwd: string;
  env?: Record<string, string>;
  args?: readonly string[];
  /** Also wait for this pattern on stdout (the seeded key line). */
  waitFor?: RegExp;
  timeoutMs?: number;
}): Promise<ServedProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [BIN, 'serve', ...(options.args ?? [])], {
    cwd: options.cwd,
    env: cleanEnv({ HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.timeoutMs ?? 45_000);
  const ready = () =>
    stdout.includes(`listening on ${url}`) && (options.waitFor === undefined || options.waitFor.test(stdout));
  while (!ready()) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`serve did not start (exit ${child.exitCode}): ${stdout} ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { url, port, child, stdout: () => stdout, stderr: () => stderr, stop };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One `charthero …` command as a separate process (asynchronous, so several can run at once). */
export function charthero(args: readonly string[], cwd: string, env: Record<string, string> = {}) {
  return new Promise<CommandResult>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `charthero … --json`: exit 0 and exactly one JSON object on one line of stdout. */
export async function chartheroJson<T = Record<string, unknown>>(
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<T> {
  const result = await charthero([...args, '--json'], cwd, env);
  if (result.code !== 0) throw new Error(`charthero ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  const lines = result.stdout.split('\n').filter((line) => line !== '');
  if (lines.length !== 1) throw new Error(`charthero ${args.join(' ')}: expected one JSON line, got ${result.stdout}`);
  return JSON.parse(lines[0]!) as T;
}

/** A tiny valid PCM WAV file (8 kHz, mono, 8-bit) of `samples` bytes of a sawtooth. */
export function tinyWav(samples = 800): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + samples, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(8000, 28);
  header.writeUInt16LE(1, 32);
  header.writeUInt16LE(8, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(samples, 40);
  const data = Buffer.alloc(samples);
  for (let i = 0; i < samples; i++) data[i] = 128 + ((i * 7) % 64) - 32;
  return Buffer.concat([header, data]);
}
