/** `charthero openapi`: print or write the OpenAPI document the server publishes. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type JsonOption, leaf, print } from './output.js';

export function registerOpenApiCommand(program: Command): void {
  leaf(program, 'openapi', 'print the OpenAPI 3.1 document, or write it to a file')
    .option('--write <file>', 'write the document to this file instead of printing it')
    .action(async (options: JsonOption & { write?: string }) => {
      // Loaded on demand, like the server: only this command needs the document builder.
      const { buildOpenApiDocument } = await import('../contract/openapi.js');
      const document = buildOpenApiDocument();
      if (options.write === undefined) {
        // The document is itself one JSON object, so --json and plain output are the same (pretty only for humans).
        process.stdout.write(`${options.json ? JSON.stringify(document) : JSON.stringify(document, null, 2)}\n`);
        return;
      }
      writeFileSync(options.write, `${JSON.stringify(document, null, 2)}\n`);
      print(options, { file: options.write }, `wrote ${options.write}`);
    });
}
