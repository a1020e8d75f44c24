/**
 * PostgreSQL LISTEN on a dedicated connection that reconnects by itself while the database is away. Notifications
 * are a wake-up signal only (see Store.listen).
 */
import pg from 'pg';
import type { Subscription } from './db.js';

export function listenWithReconnect(
  settings: pg.ClientConfig,
  channel: string,
  onNotify: () => void,
  timeout: number,
): Subscription {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${JSON.stringify(channel)}`);
  let closed = false;
  let client: pg.Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let connecting: Promise<void> | undefined;
  let attempt = 0;

  const retry = () => {
    if (closed || retryTimer) return;
    // Quick first retries, then at most one attempt per 2 seconds while the database stays away.
    const delay = Math.min(2000, 100 * 2 ** Math.min(attempt, 5));
    attempt += 1;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connecting = connect();
    }, delay);
    retryTimer.unref();
  };

  async function connect(): Promise<void> {
    // A LISTEN connection is idle by design: no statement or read timeout applies to its wait.
    const next = new pg.Client({ ...settings, statement_timeout: timeout, query_timeout: timeout });
    let failed = false;
    const fail = () => {
      if (failed) return;
      failed = true;
      if (client === next) client = undefined;
      void next.end().catch(() => {});
      retry();
    };
    next.on('error', fail);
    next.on('end', fail);
    next.on('notification', (message) => {
      if (message.channel === channel) onNotify();
    });
    try {
      await next.connect();
      await next.query(`listen ${channel}`);
      if (closed) {
        await next.end().catch(() => {});
        return;
      }
      client = next;
      // Anything sent while this listener was away was missed; let the reader catch up once.
      if (attempt > 0) onNotify();
      attempt = 0;
    } catch {
      fail();
    }
  }

  connecting = connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      await connecting;
      const current = client;
      client = undefined;
      if (current) {
        current.removeAllListeners('end');
        current.removeAllListeners('error');
        current.on('error', () => {});
        await current.end().catch(() => {});
      }
    },
  };
}
