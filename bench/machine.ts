/** The machine a run was taken on, recorded with every result so numbers are never read without it. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { postgresConnectionString } from '../src/store/db.js';

export interface Machine {
  date: string;
  cpuModel: string;
  cpus: number;
  memoryGiB: number;
  node: string;
  os: string;
  sqlite: string;
  postgres: string | null;
  /** The commit measured, with "+ uncommitted changes" when src/ differed from it. */
  revision?: string;
  /** 1-minute load average when the run started and when it ended: above ~0.5 at the start, the machine was busy. */
  loadAverageStart: number;
  loadAverageEnd?: number;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return match[1]!.trim();
  } catch {}
  return os.cpus()[0]?.model ?? 'unknown';
}

function sqliteVersion(): string {
  const db = new SqliteDatabase(':memory:');
  try {
    return (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
  } finally {
    db.close();
  }
}

async function postgresVersion(url: string | null): Promise<string | null> {
  if (!url) return null;
  const client = new pg.Client({ connectionString: postgresConnectionString(url), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const result = await client.query<{ server_version: string }>('show server_version');
    return result.rows[0]?.server_version ?? null;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

function revision(): string | undefined {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} + uncommitted changes in src/` : commit;
  } catch {
    return undefined;
  }
}

export async function describeMachine(postgresUrl: string | null): Promise<Machine> {
  return {
    date: new Date().toISOString(),
    cpuModel: cpuModel(),
    // Every core of the machine (availableParallelism would count only the cores this process is pinned to).
    cpus: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    sqlite: sqliteVersion(),
    postgres: await postgresVersion(postgresUrl),
    revision: revision(),
    loadAverageStart: os.loadavg()[0]!,
  };
}
