/**
 * The OpenAPI artifact (CONTRACT.md section 8): OpenAPI 3.1.0, served and committed byte-for-byte as generated,
 * one operation per route with its scopes and, per status, an enum of exactly the codes that route can produce;
 * and it passes `redocly lint`.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../src/contract/openapi.js';
import { routeById } from '../../src/contract/routes.js';
import { CONTRACT_REASONS, CONTRACT_ROUTE_CODES, CONTRACT_ROUTES, type Code } from '../support/contract.js';
import { expectCommonHeaders } from '../support/expect-error.js';
import { type Harness, startHarness } from '../support/harness.js';
import { ROUTES } from '../support/requests.js';

const ROOT = join(import.meta.dirname, '..', '..');
const COMMITTED = join(ROOT, 'openapi', 'v1', 'openapi.json');

// biome-ignore lint/suspicious/noExplicitAny: walking a parsed JSON document
type Json = Record<string, any>;

/** The document as JSON (the generator's TypeBox schemas carry symbol keys that never reach the wire). */
const built = JSON.parse(JSON.stringify(buildOpenApiDocument())) as Json;
const operationOf = (route: (typeof ROUTES)[number]): Json => built.paths[CONTRACT_ROUTES[route].path].get;

/** The error schema of a response, following a $ref into components if there is one. */
function errorSchema(response: Json): Json {
  const schema = response.content['application/json'].schema as Json;
  if (typeof schema.$ref === 'string') return built.components.schemas[schema.$ref.split('/').pop()!];
  return schema;
}

describe('the OpenAPI artifact', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it('is served at /openapi/v1/openapi.json without authentication, equal to buildOpenApiDocument()', async () => {
    const response = await h.get('/openapi/v1/openapi.json');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expectCommonHeaders(response);
    expect(JSON.parse(response.body)).toStrictEqual(built);
  });

  it('is committed at openapi/v1/openapi.json, byte for byte (run `npm run openapi:write` after changing it)', () => {
    expect(readFileSync(COMMITTED, 'utf8')).toBe(`${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
  });

  it('is OpenAPI 3.1.0 with an HTTP bearer security scheme required everywhere', () => {
    expect(built.openapi).toBe('3.1.0');
    expect(built.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(built.security).toEqual([{ bearerAuth: [] }]);
  });

  it('has exactly the five public routes, each a GET with its route id as operationId', () => {
    expect(Object.keys(built.paths).sort()).toEqual(ROUTES.map((route) => CONTRACT_ROUTES[route].path).sort());
    for (const route of ROUTES) {
      expect(Object.keys(built.paths[CONTRACT_ROUTES[route].path])).toEqual(['get']);
      expect(operationOf(route).operationId).toBe(route);
    }
  });

  describe.each(ROUTES)('%s', (route) => {
    const operation = operationOf(route);

    it('x-required-scopes: the route scopes of section 1, also named in the description', () => {
      expect(operation['x-required-scopes']).toEqual(CONTRACT_ROUTES[route].scopes);
      expect(operation['x-required-scopes']).toEqual([...routeById(route).scopes]);
      for (const scope of CONTRACT_ROUTES[route].scopes) expect(operation.description).toContain(scope);
      expect(operation.security).toEqual([{ bearerAuth: [] }]);
    });

    it('query parameters: exactly the accepted keys', () => {
      const query = (operation.parameters as Json[]).filter((parameter) => parameter.in === 'query');
      expect(query.map((parameter) => parameter.name)).toEqual(CONTRACT_ROUTES[route].queryKeys);
      const path = (operation.parameters as Json[]).filter((parameter) => parameter.in === 'path');
      expect(path.map((parameter) => parameter.name)).toEqual(
        [...CONTRACT_ROUTES[route].path.matchAll(/\{([a-z_]+)\}/g)].map((match) => match[1]),
      );
    });

    it('responses: 200 and one entry per status the route can return', () => {
      const statuses = new Set(CONTRACT_ROUTE_CODES[route].map((code) => String(CONTRACT_REASONS[code].status)));
      expect(Object.keys(operation.responses).sort()).toEqual(['200', ...statuses].sort());
    });

    it("each status's reason_code enum is exactly the route's codes with that status, with an example each", () => {
      const byStatus = new Map<string, Code[]>();
      for (const code of CONTRACT_ROUTE_CODES[route]) {
        const status = String(CONTRACT_REASONS[code].status);
        byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
      }
      for (const [status, codes] of byStatus) {
        const response = operation.responses[status] as Json;
        const schema = errorSchema(response);
        expect(schema.required, status).toEqual(expect.arrayContaining(['error', 'reason_code', 'message', 'field']));
        expect([...schema.properties.reason_code.enum].sort(), status).toEqual([...codes].sort());
        expect([...schema.properties.error.enum].sort(), status).toEqual(
          [...new Set(codes.map((code) => CONTRACT_REASONS[code].error))].sort(),
        );
        const examples = response.content['application/json'].examples as Record<string, { value: Json }>;
        expect(Object.keys(examples).sort(), status).toEqual([...codes].sort());
        for (const code of codes) {
          expect(examples[code]!.value).toMatchObject({ reason_code: code, error: CONTRACT_REASONS[code].error });
        }
      }
    });

    it('401 documents WWW-Authenticate; 429 and 503 document Retry-After', () => {
      expect(Object.keys(operation.responses['401'].headers)).toContain('WWW-Authenticate');
      expect(Object.keys(operation.responses['429'].headers)).toContain('Retry-After');
      expect(Object.keys(operation.responses['503'].headers)).toContain('Retry-After');
    });
  });

  it('passes `redocly lint` with no errors', async () => {
    const run = promisify(execFile);
    const result = await run('npx', ['redocly', 'lint', 'openapi/v1/openapi.json'], {
      cwd: ROOT,
      timeout: 60_000,
    }).then(
      (output) => ({ code: 0, ...output }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code ?? 1,
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
      }),
    );
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  }, 60_000);
});
