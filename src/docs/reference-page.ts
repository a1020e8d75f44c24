/**
 * The interactive API reference at `/docs`: Scalar's standalone bundle, served by this server, rendering the OpenAPI
 * document this server serves. Every feature that would reach another origin is switched off, and the page's
 * Content-Security-Policy would block it anyway.
 */
import { OPENAPI_PATH } from '../contract/routes.js';
import { escapeHtml, htmlDocument } from './html.js';

export const REFERENCE_BUNDLE_PATH = '/docs/assets/scalar.js';

/** Scalar's configuration (see @scalar/types, api-reference-configuration). */
const SCALAR_CONFIGURATION = {
  url: OPENAPI_PATH,
  // Fonts come from fonts.scalar.com unless turned off; the page uses the system fonts.
  withDefaultFonts: false,
  telemetry: false,
  // No "try it" client: the API needs a live key, and the client would send requests through a hosted proxy.
  hideClientButton: true,
  hideTestRequestButton: true,
  showDeveloperTools: 'never',
  agent: { disabled: true },
  mcp: { disabled: true },
  // Scalar's hosted services (dashboard, registry, request proxy, API) are never addressed.
  externalUrls: { dashboardUrl: '', registryUrl: '', proxyUrl: '', apiBaseUrl: '' },
  documentDownloadType: 'json',
  showOperationId: true,
  defaultOpenAllTags: true,
  hideDarkModeToggle: true,
  forceDarkModeState: 'light',
} as const;

/** JSON inside a `<script>` element: no `</script>`, `<!--` or line separators can end or confuse it. */
function inlineJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function referencePage(nonce: string): string {
  const attribute = escapeHtml(nonce);
  return htmlDocument(
    `<meta property="csp-nonce" content="${attribute}">
<title>ChartHero Public API reference</title>`,
    `<div id="app"></div>
<script src="${REFERENCE_BUNDLE_PATH}" nonce="${attribute}"></script>
<script nonce="${attribute}">Scalar.createApiReference('#app', ${inlineJson(SCALAR_CONFIGURATION)});</script>`,
  );
}
