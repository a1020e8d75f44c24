/** `npm run docs:write`: regenerates the reason-code section of docs/errors.md from the registry. */
import { readFileSync, writeFileSync } from 'node:fs';
import { withReasonCodeSection } from '../src/docs/reason-table.js';

const path = new URL('../docs/errors.md', import.meta.url);
writeFileSync(path, withReasonCodeSection(readFileSync(path, 'utf8')));
