/**
 * Writes src/generated/contract.ts from the OpenAPI artifact: the reason table (`x-reason-codes`: every code of the
 * server's registry with its status and `error` category) and the list bounds (list_encounters' `limit` and
 * `offset` parameter schemas), so the SDK keeps no copy of either.
 *
 *   node scripts/generate-contract.mjs <openapi.json> -o <contract.ts>
 */
import { readFileSync, writeFileSync } from 'node:fs';

const [input, flag, output] = process.argv.slice(2);
if (input === undefined || flag !== '-o' || output === undefined) {
  console.error('usage: generate-contract.mjs <openapi.json> -o <contract.ts>');
  process.exit(2);
}
const document = JSON.parse(readFileSync(input, 'utf8'));

const reasons = document['x-reason-codes'];
if (reasons === null || typeof reasons !== 'object' || Object.keys(reasons).length === 0) {
  throw new Error(`${input} has no x-reason-codes`);
}

function listBound(name) {
  const operations = Object.values(document.paths).flatMap((item) => Object.values(item));
  const list = operations.find((operation) => operation.operationId === 'list_encounters');
  const schema = list?.parameters?.find((parameter) => parameter.name === name && parameter.in === 'query')?.schema;
  for (const key of ['minimum', 'maximum', 'default']) {
    if (!Number.isInteger(schema?.[key])) throw new Error(`${input}: list_encounters ${name} has no integer ${key}`);
  }
  return `{ min: ${schema.minimum}, max: ${schema.maximum}, default: ${schema.default} }`;
}

const rows = Object.entries(reasons).map(([code, { status, error }]) => {
  if (!/^[a-z][a-z0-9_]*$/.test(code) || !Number.isInteger(status) || typeof error !== 'string') {
    throw new Error(`${input}: x-reason-codes.${code} is not {status, error}`);
  }
  return `  ${code}: { status: ${status}, error: ${JSON.stringify(error)} },`;
});

writeFileSync(
  output,
  `// Generated from the OpenAPI artifact by scripts/generate-contract.mjs (\`npm run generate\`). Do not edit.

/** Every reason code of the server's registry, with its HTTP status and \`error\` category (\`x-reason-codes\`). */
export const REASON_TABLE = {
${rows.join('\n')}
} as const;

/** list_encounters' \`limit\`: its bounds and default. */
export const LIST_LIMIT = ${listBound('limit')} as const;

/** list_encounters' \`offset\`: its bounds and default; \`next_offset\` is null rather than past \`max\`. */
export const LIST_OFFSET = ${listBound('offset')} as const;
`,
);
