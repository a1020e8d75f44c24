/** The OpenAPI 3.1 document, generated from the route table, the response schemas and the reason-code registry. */
import { KEY_CHECKSUM_LENGTH, KEY_RANDOM_LENGTH, LIST_LIMIT, LIST_OFFSET } from './bounds.js';
import { exampleErrorBody } from './errors.js';
import { REASONS, type ReasonCode } from './reasons.js';
import { PUBLIC_ROUTES, type PublicRoute } from './routes.js';
import { errorBodySchema } from './schemas.js';
import { webhookContract, webhooksSection } from './webhook-openapi.js';

type Json = Record<string, unknown>;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request: the query or document type is not supported by this route.',
  401: 'The API key is missing, malformed, unknown or unusable.',
  403: 'The key or its organization may not use this route or resource.',
  404: 'The resource was not found or is not available through the public API.',
  422: 'A query parameter has an invalid value.',
  429: 'The key or its organization is over its request rate.',
  500: 'An unexpected error; the body reveals nothing.',
  503: 'A dependency is temporarily unavailable; retry with backoff.',
};

const HEADER_REF = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** Plain JSON of a TypeBox schema; nested schemas with an `$id` become shared components. */
function componentize(schema: unknown, components: Json): unknown {
  if (Array.isArray(schema)) return schema.map((item) => componentize(item, components));
  if (schema === null || typeof schema !== 'object') return schema;
  const { $id, ...rest } = schema as Json;
  const plain = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, componentize(value, components)]));
  if (typeof $id !== 'string') return plain;
  components[$id] = plain;
  return { $ref: `#/components/schemas/${$id}` };
}

function errorResponse(status: number, codes: ReasonCode[]): Json {
  const headers: Json = { 'X-Request-Id': HEADER_REF('XRequestId') };
  if (status === 401) headers['WWW-Authenticate'] = HEADER_REF('WWWAuthenticate');
  if (status === 429 || status === 503) headers['Retry-After'] = HEADER_REF('RetryAfter');
  if (status !== 401) {
    headers.RateLimit = HEADER_REF('RateLimit');
    headers['RateLimit-Policy'] = HEADER_REF('RateLimitPolicy');
  }
  return {
    description: `${STATUS_TEXT[status]} Reason codes: ${codes.map((code) => `\`${code}\``).join(', ')}.`,
    headers,
    content: {
      'application/json': {
        schema: errorBodySchema(codes),
        examples: Object.fromEntries(
          codes.map((code) => [
            code,
            { summary: code, description: REASONS[code].when, value: exampleErrorBody(code) },
          ]),
        ),
      },
    },
  };
}

function parameters(route: PublicRoute): Json[] {
  const path = [...route.path.matchAll(/:([a-z_]+)/g)].map((match) => ({
    name: match[1],
    in: 'path',
    required: true,
    description: 'An opaque ChartHero id.',
    schema: { type: 'string' },
  }));
  const query: Record<string, Json> = {
    limit: { type: 'integer', minimum: LIST_LIMIT.min, maximum: LIST_LIMIT.max, default: LIST_LIMIT.default },
    offset: { type: 'integer', minimum: LIST_OFFSET.min, maximum: LIST_OFFSET.max, default: LIST_OFFSET.default },
    sort_order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
    start_at: { type: 'string', format: 'date-time', description: 'Inclusive lower bound on created_at.' },
    end_at: { type: 'string', format: 'date-time', description: 'Exclusive upper bound on created_at.' },
  };
  return [
    ...path,
    ...route.queryKeys.map((key) => ({
      name: key,
      in: 'query',
      required: false,
      description: (query[key]!.description as string | undefined) ?? `The ${key} of the page.`,
      schema: query[key],
    })),
  ];
}

function operation(route: PublicRoute, components: Json): Json {
  const byStatus = new Map<number, ReasonCode[]>();
  for (const code of route.reasons) {
    const status = REASONS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Json = {
    '200': {
      description: 'OK',
      headers: {
        'X-Request-Id': HEADER_REF('XRequestId'),
        RateLimit: HEADER_REF('RateLimit'),
        'RateLimit-Policy': HEADER_REF('RateLimitPolicy'),
      },
      content: { 'application/json': { schema: componentize(route.response, components) } },
    },
  };
  for (const status of [...byStatus.keys()].sort()) {
    responses[String(status)] = errorResponse(status, byStatus.get(status)!);
  }
  return {
    operationId: route.id,
    summary: route.summary,
    description: `Requires all of these scopes: ${route.scopes.map((scope) => `\`${scope}\``).join(', ')}.`,
    tags: ['Encounters'],
    security: [{ bearerAuth: [] }],
    'x-required-scopes': [...route.scopes],
    parameters: parameters(route),
    responses,
  };
}

export function buildOpenApiDocument(): Json {
  const schemas: Json = {};
  const paths: Json = {};
  for (const route of PUBLIC_ROUTES) {
    const path = route.path.replace(/:([a-z_]+)/g, '{$1}');
    paths[path] = { get: operation(route, schemas) };
  }
  const webhooks = webhooksSection((schema) => componentize(schema, schemas));
  return {
    openapi: '3.1.0',
    info: {
      title: 'ChartHero Public API',
      version: '1.0.0',
      description:
        'Read-only partner access to encounters, clinical documents, finalized ambient transcripts and short-lived ' +
        'audio URLs. Every error has the body `{error, reason_code, message, field}`; branch on `reason_code`.',
    },
    servers: [{ url: 'http://127.0.0.1:8080', description: 'Local sandbox' }],
    // The whole registry, also the codes no operation lists (unmatched paths, media URLs): the SDK's reason table.
    'x-reason-codes': Object.fromEntries(
      Object.entries(REASONS).map(([code, spec]) => [code, { status: spec.status, error: spec.error }]),
    ),
    // The webhook constants a receiver verifies against: the SDK's copy is generated from these.
    'x-webhook-contract': webhookContract(),
    tags: [
      { name: 'Encounters', description: 'Encounters and their documents.' },
      { name: 'Webhooks', description: 'Events ChartHero sends to your endpoints (signed, retried, at least once).' },
    ],
    security: [{ bearerAuth: [] }],
    paths,
    webhooks,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: `ch_sk_<live|test>_<${KEY_RANDOM_LENGTH + KEY_CHECKSUM_LENGTH} characters>`,
          description: 'An organization-scoped API key.',
        },
      },
      headers: {
        XRequestId: {
          description: 'Echoes a valid incoming X-Request-Id (1–128 of [A-Za-z0-9._-]), otherwise a new id.',
          schema: { type: 'string' },
        },
        WWWAuthenticate: { description: 'Bearer challenge (RFC 6750).', schema: { type: 'string' } },
        RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
        RateLimit: { description: 'Remaining quota per policy (IETF draft).', schema: { type: 'string' } },
        RateLimitPolicy: { description: 'Quota policies for the key (IETF draft).', schema: { type: 'string' } },
      },
      schemas,
    },
  };
}
