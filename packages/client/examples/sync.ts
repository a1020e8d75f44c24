/**
 * Full sync: pull every encounter the key can see, exactly once, oldest first.
 *
 *   CHARTHERO_BASE_URL=http://127.0.0.1:8080 CHARTHERO_API_KEY=ch_sk_test_… npx tsx packages/client/examples/sync.ts
 *
 * Optional: CHARTHERO_SYNC_FROM / CHARTHERO_SYNC_TO (RFC 3339) bound the range; CHARTHERO_SYNC_WINDOW_DAYS sets the
 * checkpoint window (default 7). Prints `synced N encounters` and exits 0; exits 1 with the reason code on an API
 * error. In your own code, import from '@charthero/client' instead of '../src/index.js'.
 */
import { pathToFileURL } from 'node:url';
import { ChartHeroClient, ChartHeroError, type Encounter, type SyncParams } from '../src/index.js';

export interface SyncResult {
  count: number;
  duplicates: number;
  windows: number;
}

/**
 * The sync loop. `handle` is where an integration would upsert each encounter; `onWindow` is where it would persist
 * `window.end` as the checkpoint to resume from (`from: checkpoint`) next time.
 */
export async function runSync(
  client: ChartHeroClient,
  params: SyncParams = {},
  handle: (encounter: Encounter) => void | Promise<void> = () => {},
  signal?: AbortSignal,
): Promise<SyncResult> {
  const seen = new Set<string>();
  let duplicates = 0;
  let windows = 0;
  const sync = client.encounters.sync(
    {
      ...params,
      onWindow: async (window) => {
        windows++;
        await params.onWindow?.(window);
      },
    },
    { signal },
  );
  for await (const encounter of sync) {
    if (seen.has(encounter.encounter_id)) duplicates++;
    seen.add(encounter.encounter_id);
    await handle(encounter);
  }
  return { count: seen.size, duplicates, windows };
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required`);
    process.exit(2);
  }
  return value;
}

async function main() {
  const client = new ChartHeroClient({ apiKey: env('CHARTHERO_API_KEY'), baseUrl: env('CHARTHERO_BASE_URL') });
  const windowDays = Number(process.env.CHARTHERO_SYNC_WINDOW_DAYS ?? 7);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  try {
    const result = await runSync(
      client,
      {
        from: process.env.CHARTHERO_SYNC_FROM || undefined,
        to: process.env.CHARTHERO_SYNC_TO || undefined,
        windowMs: windowDays * 24 * 60 * 60 * 1000,
      },
      undefined,
      controller.signal,
    );
    console.log(`synced ${result.count} encounters (${result.windows} windows, ${result.duplicates} duplicates)`);
  } catch (error) {
    if (error instanceof ChartHeroError) {
      console.error(`sync failed: ${error.status} ${error.reasonCode} (request ${error.requestId}): ${error.message}`);
    } else {
      console.error(`sync failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
