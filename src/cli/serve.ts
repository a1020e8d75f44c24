/** `charthero serve [--seed-if-empty]`: migrate, optionally seed an empty sandbox, then serve until a signal. */
import type { Command } from 'commander';
import type { SeedResult } from '../seed/sandbox.js';
import { SEED_DEFAULTS } from '../seed/sandbox.js';
import { hasNoOrganization } from '../store/organizations.js';
import { cliConfig, withDatabase } from './context.js';
import { type JsonOption, leaf, print, shownOnce } from './output.js';
import { runSeed, seedJson } from './seed.js';

export function registerServeCommand(program: Command): void {
  leaf(program, 'serve', 'run migrations, then serve the public API')
    .option('--seed-if-empty', 'in a sandbox whose database has no organization, first seed as `charthero seed` does')
    .action(async (options: JsonOption & { seedIfEmpty?: boolean }) => {
      const config = cliConfig();
      const seeded = await withDatabase(config, async (db): Promise<SeedResult | null> => {
        if (!options.seedIfEmpty || config.environment !== 'sandbox') return null;
        return (await hasNoOrganization(db)) ? runSeed(config, db, SEED_DEFAULTS) : null;
      });
      // Loaded only here: the HTTP stack is not needed by any other command.
      const { startServer } = await import('../server.js');
      const server = await startServer(config);
      const metricsUrl = server.runtime.metricsListener?.url ?? null;
      const lines = [`listening on ${server.url}`];
      if (metricsUrl) lines.push(`metrics on ${metricsUrl}`);
      if (seeded) {
        lines.push(
          `seeded ${seeded.organizationId} with ${seeded.encounters} encounters`,
          shownOnce('test key', seeded.key.secret),
          `try: curl -s -H 'Authorization: Bearer ${seeded.key.secret}' '${server.url}/external/v1/encounters?limit=5'`,
        );
      }
      print(options, { url: server.url, metrics_url: metricsUrl, seeded: seeded ? seedJson(seeded) : null }, lines);

      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        server.close().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`charthero: shutdown failed: ${error instanceof Error ? error.message : error}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
