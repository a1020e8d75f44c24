/** Fault helpers shared by the PostgreSQL-only tests, and the store they run against. */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { expect } from 'vitest';
import { useMigratedStore } from '../support/database.js';

/** A fresh PostgreSQL store for one test file: 500 ms statement timeout (quick timeout tests), two connections. */
export const usePostgresStore = (prefix: string) =>
  useMigratedStore(prefix, { dialect: 'postgres', options: { timeoutMs: 500, poolSize: 2 } });

/** The error `promise` fails with; fails the test if it succeeds. */
export const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );

/** Terminates (pg_terminate_backend) the one other session of the database now running a query containing `marker`. */
export async function terminateSessionRunning(databaseUrl: string, marker: string): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    let ended = 0;
    const deadline = performance.now() + 2000;
    while (ended === 0 && performance.now() < deadline) {
      const { rows } = await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
         where datname = current_database() and state = 'active' and strpos(query, $1) > 0
           and pid <> pg_backend_pid()`,
        [marker],
      );
      ended = rows.length;
      if (ended === 0) await sleep(10);
    }
    expect(ended).toBe(1);
  } finally {
    await admin.end();
  }
}
