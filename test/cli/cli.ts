/**
 * Helpers for tests that run the real `charthero` binary: the build it needs (made once, whichever test file gets
 * there first), a throwaway environment per test file, and a spawn that captures exit code, stdout and stderr.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { openStore } from '../../src/store/db.js';
import type { Database } from '../../src/store/schema.js';
import { type FreshDatabase, freshDatabase } from '../support/database.js';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const BIN = join(ROOT, 'bin', 'charthero.js');
const BUILT = join(ROOT, 'dist', 'cli', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const isFresh = () => existsSync(BUILT) && statSync(BUILT).mtimeMs >= newestSource(join(ROOT, 'src'));

/**
 * Runs `npm run build` unless dist is newer than every source file. Test files run in parallel workers, so a lock
 * folder keeps them from compiling into dist at the same time.
 */
export function ensureBuilt(): void {
  if (isFresh()) return;
  const lock = join(tmpdir(), `charthero-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`build lock ${lock} held for too long`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (!isFresh()) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliSandbox {
  dir: string;
  env: Record<string, string>;
  database: FreshDatabase;
  run(args: readonly string[], env?: Record<string, string>): CliResult;
  /** Runs with `--json`, expects exit 0 and exactly one JSON object on stdout. */
  json<T = Record<string, unknown>>(args: readonly string[], env?: Record<string, string>): T;
  /** Row counts of every clinical table. */
  counts(): Promise<Record<string, number>>;
  withDb<T>(work: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The parent's CHARTHERO_* variables never leak into a test run. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('CHARTHERO_')) env[name] = value;
  }
  return env;
}

export async function cliSandbox(options: { keyring?: boolean } = {}): Promise<CliSandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'charthero-cli-'));
  const database = await freshDatabase(dir);
  const env = {
    CHARTHERO_DATABASE_URL: database.url,
    CHARTHERO_DIGEST_KEYS_FILE: join(dir, 'digest-keys.json'),
    CHARTHERO_AUDIO_STORAGE: `file:${join(dir, 'audio')}`,
  };
  const run = (args: readonly string[], extra: Record<string, string> = {}): CliResult => {
    const result = spawnSync(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...baseEnv(), ...env, ...extra },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const withDb = async <T>(work: (db: Kysely<Database>) => Promise<T>): Promise<T> => {
    const store = openStore(database.url);
    try {
      return await work(store.db);
    } finally {
      await store.close();
    }
  };
  const sandbox: CliSandbox = {
    dir,
    env,
    database,
    run,
    json<T>(args: readonly string[], extra?: Record<string, string>): T {
      const result = run([...args, '--json'], extra);
      if (result.code !== 0) throw new Error(`charthero ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
      const lines = result.stdout.split('\n').filter((line) => line !== '');
      if (lines.length !== 1) throw new Error(`expected one line of JSON, got ${JSON.stringify(result.stdout)}`);
      return JSON.parse(lines[0]!) as T;
    },
    counts: () =>
      withDb(async (db) => {
        const counts: Record<string, number> = {};
        for (const table of [
          'organizations',
          'patients',
          'encounters',
          'documents',
          'transcripts',
          'recordings',
        ] as const) {
          const row = await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow();
          counts[table] = Number(row.n);
        }
        return counts;
      }),
    withDb,
    async close() {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (options.keyring !== false) {
    const created = run(['keyring', 'create', env.CHARTHERO_DIGEST_KEYS_FILE]);
    if (created.code !== 0) throw new Error(`keyring create failed: ${created.stderr}`);
  }
  return sandbox;
}
