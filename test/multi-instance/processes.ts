/**
 * Real `charthero` processes for multi-instance tests: `serve` instances and one-shot operator commands.
 *
 * The compiled CLI (`node bin/charthero.js`, what operators run) is used when `dist/` is at least as new as every
 * source file (as after `npm test`, which builds first); otherwise the same entry point runs from source through
 * tsx, so a plain `npx vitest run` never exercises a stale build.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The command line that runs `charthero`, and which build it is. */
export function cliCommand(): { argv: string[]; build: 'dist' | 'source' } {
  const compiled = join(ROOT, 'dist/cli/main.js');
  if (existsSync(compiled) && statSync(compiled).mtimeMs >= newestMtime(join(ROOT, 'src'))) {
    return { argv: [join(ROOT, 'bin/charthero.js')], build: 'dist' };
  }
  return { argv: ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')], build: 'source' };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** performance.now() when the process exited: "the CLI command returned". */
  exitedAt: number;
  /** performance.now() when its first output arrived (after the change committed, before the process exits). */
  printedAt: number | undefined;
}

export function runCli(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  const { argv } = cliCommand();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...argv, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let printedAt: number | undefined;
    child.stdout.on('data', (chunk) => {
      printedAt ??= performance.now();
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolvePromise({ code, stdout, stderr, exitedAt: performance.now(), printedAt }));
  });
}

/** Runs a command with `--json` and returns its one JSON object, or throws with its error line. */
export async function cliJson<T = Record<string, unknown>>(args: readonly string[], env: Record<string, string>) {
  const result = await runCli([...args, '--json'], env);
  if (result.code !== 0) throw new Error(`charthero ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  return { ...result, json: JSON.parse(result.stdout) as T };
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote on stderr (for diagnostics). */
  stderr(): string;
  /** Everything the process wrote on stdout: the listening line, then the log lines. */
  stdout(): string;
  stop(): Promise<void>;
}

/** `charthero serve --json` on a free port; resolves once it prints its URL. */
export function startServerProcess(env: Record<string, string>, timeoutMs = 20_000): Promise<ServerProcess> {
  const { argv } = cliCommand();
  const child = spawn(process.execPath, [...argv, 'serve', '--json'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  let started = false;
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`serve did not start within ${timeoutMs} ms: ${stderr.trim()}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code} before listening: ${stderr.trim()}`));
    });
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
      if (started) return;
      const line = stdout
        .split('\n')
        .slice(0, -1) // Only complete lines.
        .find((text) => text.startsWith('{'));
      if (!line) return;
      started = true;
      clearTimeout(timer);
      const { url } = JSON.parse(line) as { url: string };
      resolvePromise({ url, child, stderr: () => stderr, stdout: () => stdout, stop });
    });
  });
}
