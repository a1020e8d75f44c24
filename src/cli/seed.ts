/** `charthero seed`: the deterministic synthetic sandbox, plus one test key printed once. */
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import { MAX_SEED_ENCOUNTERS, SEED_DEFAULTS, type SeedResult, seedSandbox } from '../seed/sandbox.js';
import type { Database } from '../store/schema.js';
import { parseInteger } from './arguments.js';
import { CliError } from './cli-error.js';
import { cliConfig, cliKeyring, withDatabase, withStorage } from './context.js';
import { type JsonOption, leaf, print, shownOnce } from './output.js';

export interface SeedArguments {
  seed: number;
  encounters: number;
}

/** Shared with `serve --seed-if-empty`. Synthetic data and a test key have no place in a production database. */
export async function runSeed(config: Config, db: Kysely<Database>, options: SeedArguments): Promise<SeedResult> {
  if (config.environment !== 'sandbox') throw new CliError('seed is only available in the sandbox environment');
  const keyring = cliKeyring(config);
  return withStorage(config, (storage) =>
    seedSandbox({ db, storage, keyring, keyEnvironment: config.keyEnvironment }, options),
  );
}

export function seedJson(result: SeedResult) {
  return { organization_id: result.organizationId, key: result.key, encounters: result.encounters };
}

export function registerSeedCommand(program: Command): void {
  leaf(program, 'seed', 'write a synthetic sandbox organization and print a test key once')
    .option('--seed <n>', 'PRNG seed: the same seed gives the same data', String(SEED_DEFAULTS.seed))
    .option('--encounters <n>', 'number of encounters', String(SEED_DEFAULTS.encounters))
    .action(async (options: JsonOption & { seed: string; encounters: string }) => {
      const seed = parseInteger(options.seed, '--seed', 0, 0xffffffff);
      const encounters = parseInteger(options.encounters, '--encounters', 1, MAX_SEED_ENCOUNTERS);
      const config = cliConfig();
      const result = await withDatabase(config, (db) => runSeed(config, db, { seed, encounters }));
      print(options, seedJson(result), [
        `seeded ${result.organizationId} with ${result.encounters} encounters (seed ${seed})`,
        `key ${result.key.id}, ${shownOnce('secret', result.key.secret)}`,
      ]);
    });
}
