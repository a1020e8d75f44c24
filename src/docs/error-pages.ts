/**
 * The error reference pages (`/docs/errors`, `/docs/errors/{reason_code}`), rendered from the reason-code registry
 * and the route table: nothing on them is written twice.
 */
import { exampleErrorBody } from '../contract/errors.js';
import { REASON_CODES, REASONS, type ReasonCode, STATUS_GUIDANCE } from '../contract/reasons.js';
import { MEDIA_PATH, PUBLIC_ROUTES } from '../contract/routes.js';
import { escapeHtml, page, proseHtml } from './html.js';

export function isReasonCode(value: string): value is ReasonCode {
  return Object.hasOwn(REASONS, value);
}

/** The three codes no route table lists: they are answered before (or instead of) any route. */
const ROUTE_INDEPENDENT: Partial<Record<ReasonCode, string>> = {
  route_not_found: 'Any path that matches no route (under `/external/v1` or anywhere else, `/docs/…` included).',
  method_not_allowed: 'Any of the five public route paths, called with a method other than `GET` or `HEAD`.',
  media_url_invalid: `The signed media URLs that \`get_audio_url\` hands out (\`${MEDIA_PATH}/…\`, built-in file storage).`,
};

/** The OpenAPI path of a route (`{encounter_id}`) rather than the router's (`:encounter_id`). */
function openApiPath(path: string): string {
  return path.replace(/:([a-z_]+)/g, '{$1}');
}

/** Which routes can return a code, as HTML list items. */
function routesHtml(code: ReasonCode): string {
  const independent = ROUTE_INDEPENDENT[code];
  if (independent) return `<p>${proseHtml(independent)}</p>`;
  const items = PUBLIC_ROUTES.filter((route) => route.reasons.includes(code)).map(
    (route) =>
      `<li><code>${escapeHtml(route.id)}</code> — <code>GET ${escapeHtml(openApiPath(route.path))}</code></li>`,
  );
  return `<ul>\n${items.join('\n')}\n</ul>`;
}

export function errorIndexPage(nonce: string): string {
  const rows = REASON_CODES.map((code) => {
    const spec = REASONS[code];
    return `<tr><td><a href="/docs/errors/${escapeHtml(code)}"><code>${escapeHtml(code)}</code></a></td><td class="status">${spec.status}</td><td><code>${escapeHtml(spec.error)}</code></td><td>${proseHtml(spec.when)}</td></tr>`;
  });
  const body = `<h1>Error reference</h1>
<p>Every error the API returns has the same JSON body: <code>{"error", "reason_code", "message", "field"}</code>.
Branch on <code>reason_code</code>, the stable contract; <code>message</code> is for people and may be reworded at any
time; <code>field</code> names the query parameter at fault when exactly one is, otherwise it is <code>null</code>.
Every response carries an <code>X-Request-Id</code>: quote it when you contact support.</p>
<table>
<thead><tr><th>reason_code</th><th>status</th><th>error</th><th>when</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
  return page({ title: 'Error reference — ChartHero Public API', nonce, body });
}

export function errorCodePage(code: ReasonCode, nonce: string): string {
  const spec = REASONS[code];
  const example = JSON.stringify(exampleErrorBody(code), null, 2);
  const body = `<h1><code>${escapeHtml(code)}</code></h1>
<table>
<tbody>
<tr><th>status</th><td class="status" data-status="${spec.status}">${spec.status}</td></tr>
<tr><th>error</th><td><code>${escapeHtml(spec.error)}</code></td></tr>
</tbody>
</table>
<h2>When it happens</h2>
<p>${proseHtml(spec.when)}</p>
<h2>How to handle it</h2>
<p>${proseHtml(STATUS_GUIDANCE[spec.status])}</p>
<h2>Routes that can return it</h2>
${routesHtml(code)}
<h2>Example body</h2>
<pre><code>${escapeHtml(example)}</code></pre>
<p><a href="/docs/errors">All reason codes</a></p>`;
  return page({ title: `${code} — ChartHero Public API errors`, nonce, body });
}
