/** `charthero keyring …`: the digest keyring file. Secrets are never printed. */
import type { Command } from 'commander';
import {
  createKeyringFile,
  type Keyring,
  KeyringError,
  newestEntry,
  rotateKeyringFile,
} from '../access/digest-keyring.js';
import { CliError } from './cli-error.js';
import { type JsonOption, leaf, print } from './output.js';

/** Keyring messages do not always say which file they mean. */
function naming<T>(file: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof KeyringError && !error.message.includes(file)) throw new CliError(`${file}: ${error.message}`);
    throw error;
  }
}

function summary(file: string, keyring: Keyring) {
  return {
    file,
    newest_version: newestEntry(keyring).version,
    versions: keyring.entries.map((entry) => entry.version).sort((a, b) => a - b),
  };
}

export function registerKeyringCommands(program: Command): void {
  const keyring = program.command('keyring').description('manage the digest keyring file');

  leaf(keyring, 'create <file>', 'create a keyring file with one version (refuses to overwrite)').action(
    (file: string, options: JsonOption) => {
      const result = summary(
        file,
        naming(file, () => createKeyringFile(file)),
      );
      print(options, result, `created ${file} (version ${result.newest_version}, mode 600)`);
    },
  );

  leaf(keyring, 'rotate <file>', 'add a new version; older versions stay to verify existing keys').action(
    (file: string, options: JsonOption) => {
      const result = summary(
        file,
        naming(file, () => rotateKeyringFile(file)),
      );
      print(
        options,
        result,
        `rotated ${file}: new keys use version ${result.newest_version}; versions ${result.versions.join(', ')} verify`,
      );
    },
  );
}
