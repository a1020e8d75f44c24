/** Content-Security-Policy of the reference pages: only this origin, scripts and styles only with the nonce. */
import { randomBytes } from 'node:crypto';

/** A fresh nonce per response (128 bits), so a nonce seen once is worthless. */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * The stylesheets @scalar/fastify-api-reference 1.76.3 inserts without a nonce: its toast styles (vue-sonner) and
 * the default theme. Another version may change them; the browser test (test/docs/reference-pages.browser.test.ts)
 * then fails on the CSP violation, which names the new hash.
 */
const SCALAR_STYLE_HASHES = [
  "'sha256-l/2OpPg0d+2VLTLgwjf5mQo2CYwHDEqdj5TjbfEyVJI='",
  "'sha256-T13Uev3xCax2N28XaoAE8DOzQZKvPp7ZQVAi1iRREjo='",
];

const LOCKED_DOWN = ["default-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"];

/** `/docs`: the bundle and its start-up script by nonce, the OpenAPI document from this origin. */
export function referencePolicy(nonce: string): string {
  return [
    ...LOCKED_DOWN,
    `script-src 'nonce-${nonce}'`,
    // The bundle injects its stylesheet with the nonce it reads from the page's csp-nonce meta element; two more
    // stylesheets it inserts without one are allowed by hash, nothing else.
    `style-src-elem 'nonce-${nonce}' ${SCALAR_STYLE_HASHES.join(' ')}`,
    // Style attributes (no selectors, so no CSS exfiltration) carry per-element values such as a code block's
    // `--line-count: N`, which no fixed list of hashes can cover.
    "style-src-attr 'unsafe-inline'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
  ].join('; ');
}

/** The error pages: one nonced stylesheet, nothing else. */
export function errorPagePolicy(nonce: string): string {
  return [...LOCKED_DOWN, `style-src 'nonce-${nonce}'`, 'img-src data:'].join('; ');
}

/** Anything else under `/docs` (the JSON 404, the bundle): nothing may run or load. */
export const NOTHING_POLICY = LOCKED_DOWN.join('; ');
