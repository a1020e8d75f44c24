/**
 * The operator CLI `charthero` (docs/cli.md). Every command accepts `--json`; every failure is exactly
 * one line on stderr (`charthero: <message>`) and a non-zero exit: 2 for a usage mistake caught by the parser,
 * 1 for everything else. Stack traces are never printed.
 */
import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from './audit.js';
import { registerImportCommand } from './import.js';
import { registerKeyCommands } from './key.js';
import { registerKeyringCommands } from './keyring.js';
import { registerMigrateCommand } from './migrate.js';
import { registerOpenApiCommand } from './openapi.js';
import { registerOrgCommands } from './org.js';
import { registerSeedCommand } from './seed.js';
import { registerServeCommand } from './serve.js';
import { registerWebhookCommands } from './webhook.js';

const USAGE_EXIT_CODE = 2;

/** Multi-line messages (a driver error, say) would break the one-line promise. */
function oneLine(text: string): string {
  return text
    .replace(/^error: /, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function buildProgram(): Command {
  const program = new Command('charthero')
    .description('Operator CLI for the ChartHero Public API')
    // Settings copied to every subcommand created after them (commander inherits them at creation).
    .exitOverride()
    // A group's own --json must not swallow the --json given to its subcommand.
    .enablePositionalOptions()
    .configureOutput({ outputError: (text, write) => write(`charthero: ${oneLine(text)}\n`) });

  registerMigrateCommand(program);
  registerServeCommand(program);
  registerOrgCommands(program);
  registerKeyCommands(program);
  registerKeyringCommands(program);
  registerImportCommand(program);
  registerSeedCommand(program);
  registerAuditCommands(program);
  registerWebhookCommands(program);
  registerOpenApiCommand(program);

  // A group without a subcommand would otherwise print its whole help on stderr.
  for (const group of program.commands.filter((command) => command.commands.length > 0)) {
    group
      .argument('[command]')
      .option('--json', 'print exactly one JSON object on stdout')
      .action((name: string | undefined) => {
        throw new CommanderError(
          USAGE_EXIT_CODE,
          'charthero.usage',
          name === undefined
            ? `missing command for "${group.name()}" (see charthero ${group.name()} --help)`
            : `unknown command "${group.name()} ${name}" (see charthero ${group.name()} --help)`,
        );
      });
  }
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; parser errors were already printed by outputError.
      if (error.exitCode === 0) return 0;
      if (error.code === 'charthero.usage') process.stderr.write(`charthero: ${oneLine(error.message)}\n`);
      return USAGE_EXIT_CODE;
    }
    process.stderr.write(`charthero: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
