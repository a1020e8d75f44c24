/**
 * The reference pages over HTTP (docs/operations.md): unauthenticated, with the security headers and a strict
 * Content-Security-Policy whose nonce is fresh per response and matches the page; error pages from the registry
 * with everything escaped; any other `/docs/…` path is the standard 404 (`route_not_found`).
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { REASON_CODES, REASONS, STATUS_GUIDANCE } from '../../src/contract/reasons.js';
import { PUBLIC_ROUTES } from '../../src/contract/routes.js';
import { escapeHtml, proseHtml } from '../../src/docs/html.js';
import { expectCommonHeaders, expectError } from '../support/expect-error.js';
import { useHarness } from '../support/use-harness.js';

const harness = useHarness();

function directives(policy: string | undefined): Map<string, string[]> {
  expect(policy, 'content-security-policy').toBeTypeOf('string');
  return new Map(
    policy!.split(';').map((part) => {
      const [name, ...values] = part.trim().split(/\s+/);
      return [name!, values];
    }),
  );
}

const ENTITIES: Record<string, string> = { '&quot;': '"', '&#39;': "'", '&lt;': '<', '&gt;': '>', '&amp;': '&' };

function nonceOf(html: string): string {
  const match = /<script src="\/docs\/assets\/scalar.js" nonce="([^"]+)">/.exec(html);
  expect(match, 'the bundle carries a nonce').not.toBeNull();
  return match![1]!;
}

describe('GET /docs', () => {
  it('is served without a key, with a nonce-only script policy that matches the page', async () => {
    const response = await harness.get('/docs');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expectCommonHeaders(response);
    const nonce = nonceOf(response.body);
    const policy = directives(response.headers['content-security-policy'] as string);
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('script-src')).toEqual([`'nonce-${nonce}'`]);
    expect(policy.get('style-src-elem')![0]).toBe(`'nonce-${nonce}'`);
    expect(
      policy
        .get('style-src-elem')!
        .slice(1)
        .every((source) => source.startsWith("'sha256-")),
    ).toBe(true);
    expect(policy.get('connect-src')).toEqual(["'self'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    expect(policy.get('base-uri')).toEqual(["'none'"]);
    expect(response.headers['content-security-policy']).not.toMatch(/unsafe-eval|https?:|\*/);
    // Every script element carries the nonce; the page's meta element hands it to the bundle's stylesheet.
    expect(response.body.match(/<script\b/g)).toHaveLength(2);
    expect(
      response.body.match(new RegExp(`<script[^>]* nonce="${nonce.replace(/[+/=]/g, '\\$&')}"`, 'g')),
    ).toHaveLength(2);
    expect(response.body).toContain(`<meta property="csp-nonce" content="${nonce}">`);
    expect(response.body).toContain('"url":"/openapi/v1/openapi.json"');
    expect(response.body).toContain('"withDefaultFonts":false');
    expect(response.body).toContain('"telemetry":false');
    expect(response.body).toContain('"hideClientButton":true');
    expect(response.body).toContain('"agent":{"disabled":true}');
  });

  it('uses a fresh nonce for every response', async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 5; i++) nonces.add(nonceOf((await harness.get('/docs')).body));
    expect(nonces.size).toBe(5);
  });

  it('serves the Scalar bundle itself, compressed when asked, and nothing may run from it as a page', async () => {
    const plain = await harness.get('/docs/assets/scalar.js');
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-security-policy']).toBe(
      "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expectCommonHeaders(plain);
    expect(plain.body).toContain('createApiReference');
    const gzipped = await harness.get('/docs/assets/scalar.js', { 'accept-encoding': 'gzip, br' });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toBe('accept-encoding');
    expect(gunzipSync(gzipped.rawPayload).toString('utf8')).toBe(plain.body);
  });
});

describe('GET /docs/errors', () => {
  it('lists every registry code with its status and error, and a style-only policy', async () => {
    const response = await harness.get('/docs/errors');
    expect(response.statusCode).toBe(200);
    expectCommonHeaders(response);
    const policy = directives(response.headers['content-security-policy'] as string);
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.has('script-src')).toBe(false);
    const nonce = /<style nonce="([^"]+)">/.exec(response.body)![1];
    expect(policy.get('style-src')).toEqual([`'nonce-${nonce}'`]);
    const rows = [
      ...response.body.matchAll(
        /<tr><td><a href="\/docs\/errors\/([a-z_]+)"><code>\1<\/code><\/a><\/td><td class="status">(\d+)<\/td><td><code>([a-z_]+)<\/code><\/td>/g,
      ),
    ];
    expect(rows.map(([, code, status, error]) => [code, Number(status), error])).toEqual(
      REASON_CODES.map((code) => [code, REASONS[code].status, REASONS[code].error]),
    );
  });

  it.each(REASON_CODES)(
    '/docs/errors/%s shows status, error, when, handling, routes and an example body',
    async (code) => {
      const spec = REASONS[code];
      const response = await harness.get(`/docs/errors/${code}`);
      expect(response.statusCode).toBe(200);
      expectCommonHeaders(response);
      expect(response.headers['content-security-policy']).toMatch(/^default-src 'none';.* style-src 'nonce-[^']+'/);
      expect(response.body).toContain(`<td class="status" data-status="${spec.status}">${spec.status}</td>`);
      expect(response.body).toContain(`<code>${spec.error}</code>`);
      expect(response.body).toContain(proseHtml(spec.when));
      expect(response.body).toContain(proseHtml(STATUS_GUIDANCE[spec.status]));
      for (const route of PUBLIC_ROUTES) {
        expect(response.body.includes(`<code>${route.id}</code> —`), `${route.id} listed`).toBe(
          route.reasons.includes(code),
        );
      }
      const example = JSON.parse(
        /<pre><code>([\s\S]*?)<\/code><\/pre>/
          .exec(response.body)![1]!
          .replace(/&(?:quot|#39|lt|gt|amp);/g, (entity) => ENTITIES[entity]!),
      );
      expect(example).toMatchObject({ error: spec.error, reason_code: code, message: spec.message });
    },
  );
});

describe('anything else under /docs is the standard 404', () => {
  it.each([
    '/docs/errors/not_a_code',
    '/docs/errors/__proto__',
    '/docs/errors/INVALID_LIMIT',
    '/docs/errors/invalid_limit/more',
    '/docs/errors/',
    '/docs/',
    '/docs/nope',
    '/docs/assets/other.js',
    '/docs/js/scalar.js',
    '/docs/openapi.json',
    '/docs/errors/%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  ])('%s', async (path) => {
    const response = await harness.get(path);
    expectError(response, { reason_code: 'route_not_found' });
    expect(response.body).not.toContain('<');
  });

  it('a method other than GET or HEAD on /docs is route_not_found too (not a public route: no 405)', async () => {
    const response = await harness.runtime.app.inject({ method: 'POST', url: '/docs' });
    expectError(response, { reason_code: 'route_not_found' });
  });
});

describe('escaping', () => {
  it('escapes every HTML-significant character, and keeps backtick spans as code', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
    expect(proseHtml('use `<b>` & `"q"`')).toBe('use <code>&lt;b&gt;</code> &amp; <code>&quot;q&quot;</code>');
  });
});
