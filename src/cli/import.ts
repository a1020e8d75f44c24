/** `charthero import FILE.ndjson`: all-or-nothing import of clinical data (docs/import.md). */
import type { Command } from 'commander';
import { importNdjsonFile } from '../import/importer.js';
import { RECORD_TYPES } from '../import/records.js';
import { cliConfig, withDatabase, withStorage } from './context.js';
import { type JsonOption, leaf, print } from './output.js';

const PLURALS = {
  organization: 'organizations',
  patient: 'patients',
  encounter: 'encounters',
  document: 'documents',
  transcript: 'transcripts',
  recording: 'recordings',
} as const;

export function registerImportCommand(program: Command): void {
  leaf(program, 'import <file>', 'import an NDJSON file; the first bad line stops it and nothing is kept').action(
    async (file: string, options: JsonOption) => {
      const config = cliConfig();
      const summary = await withDatabase(config, (db) =>
        withStorage(config, (storage) => importNdjsonFile(db, storage, file)),
      );
      const counts = Object.fromEntries(RECORD_TYPES.map((type) => [PLURALS[type], summary[type]]));
      print(options, { file, lines: summary.lines, records: summary.records, ...counts }, [
        `imported ${summary.records} records from ${file}`,
        RECORD_TYPES.map((type) => `${PLURALS[type]}=${summary[type]}`).join('  '),
      ]);
    },
  );
}
