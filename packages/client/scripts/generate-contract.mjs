/**
 * Writes src/generated/contract.ts from the OpenAPI artifact: the reason table (`x-reason-codes`: every code of the
 * server's registry with its status and `error` category), the list bounds (list_encounters' `limit` and
 * `offset` parameter schemas) and the webhook constants (`x-webhook-contract`), so the SDK keeps no copy of any.
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

/** `x-webhook-contract`, checked field by field: a missing or mistyped one fails the generation. */
function webhookContract() {
  const contract = document['x-webhook-contract'];
  const fail = (problem) => {
    throw new Error(`${input}: x-webhook-contract ${problem}`);
  };
  const isName = (value) => typeof value === 'string' && value !== '';
  if (contract === null || typeof contract !== 'object') fail('is missing');
  for (const key of ['event_type', 'api_version', 'signature_version']) {
    if (!isName(contract[key])) fail(`has no ${key}`);
  }
  const headers = Object.entries(contract.headers ?? {});
  if (headers.length === 0 || !headers.every(([role, name]) => /^[a-zA-Z]\w*$/.test(role) && isName(name))) {
    fail('has no headers { role: name }');
  }
  const tolerance = contract.timestamp_tolerance_seconds;
  if (!Number.isInteger(tolerance) || tolerance < 1) fail('has no positive integer timestamp_tolerance_seconds');
  const reasons = contract.verify_reasons;
  if (!Array.isArray(reasons) || reasons.length === 0 || !reasons.every((reason) => /^[a-z][a-z0-9_]*$/.test(reason))) {
    fail('has no verify_reasons');
  }
  return contract;
}

const webhook = webhookContract();

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

// The webhook contract (\`x-webhook-contract\`).

/** The one event type sent so far. */
export const TRANSCRIPT_READY_EVENT = ${JSON.stringify(webhook.event_type)};

/** The body's \`api_version\`, also sent as ChartHero-Webhook-Version. */
export const WEBHOOK_API_VERSION = ${JSON.stringify(webhook.api_version)};

/** The request headers, by role (names as sent; compare them case-blind). */
export const WEBHOOK_HEADERS = {
${Object.entries(webhook.headers)
  .map(([role, name]) => `  ${role}: ${JSON.stringify(name)},`)
  .join('\n')}
} as const;

/** The scheme of each ChartHero-Signature entry: \`<version>=<lowercase hex HMAC-SHA256>\`. */
export const WEBHOOK_SIGNATURE_VERSION = ${JSON.stringify(webhook.signature_version)};

/** How far the signed timestamp may be from the receiver's clock, either way, unless told otherwise. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = ${webhook.timestamp_tolerance_seconds};

/** Why \`verifyWebhook\` refused a request. */
export const WEBHOOK_VERIFY_REASONS = [
${webhook.verify_reasons.map((reason) => `  ${JSON.stringify(reason)},`).join('\n')}
] as const;
`,
);
