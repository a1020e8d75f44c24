/** A fresh database per test file: a SQLite file, or a new PostgreSQL schema when TEST_DATABASE_URL is set. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';

export async function freshDatabaseUrl(dir: string): Promise<string> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return `sqlite:${join(dir, 'charthero.sqlite')}`;
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}
