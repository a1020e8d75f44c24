/** `charthero migrate`: create or upgrade the schema (idempotent). */
import type { Command } from 'commander';
import { migrate } from '../store/migrate.js';
import { cliConfig, openCliStore } from './context.js';
import { type JsonOption, leaf, print } from './output.js';

export function registerMigrateCommand(program: Command): void {
  leaf(program, 'migrate', 'create or upgrade the database schema').action(async (options: JsonOption) => {
    const store = openCliStore(cliConfig());
    try {
      const applied = await migrate(store);
      print(
        options,
        { applied },
        applied.length === 0 ? 'database schema is up to date' : `applied ${applied.join(', ')}`,
      );
    } finally {
      await store.close();
    }
  });
}
