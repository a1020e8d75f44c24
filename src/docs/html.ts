/** HTML building blocks for the server-rendered reference pages: everything interpolated goes through escapeHtml. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

/** Registry prose marks code with backticks: escaped text, with those spans as `<code>`. */
export function proseHtml(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

export interface PageOptions {
  title: string;
  /** The per-response CSP nonce of the page's one stylesheet. */
  nonce: string;
  body: string;
}

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 2rem 3rem; color: #1b1f24; }
  header a, footer a { color: #0b5cad; }
  h1 { font-size: 1.6rem; margin: 1.5rem 0 0.5rem; }
  h2 { font-size: 1.2rem; margin-top: 2rem; }
  code, pre { font: 0.9em ui-monospace, monospace; background: #f2f4f7; border-radius: 4px; }
  code { padding: 0.1em 0.3em; }
  pre { padding: 0.8rem 1rem; overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; }
  th, td { border-bottom: 1px solid #d9dee5; padding: 0.4rem 0.6rem; text-align: left; vertical-align: top; }
  .status { font-weight: 600; white-space: nowrap; }
`;

/**
 * The frame of every page this server renders: `head` and `body` are HTML already escaped by the caller. The empty
 * `data:` icon keeps browsers from asking for /favicon.ico, which would only be a 404.
 */
export function htmlDocument(head: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
${head}
</head>
<body>
${body}
</body>
</html>
`;
}

export function page(options: PageOptions): string {
  return htmlDocument(
    `<title>${escapeHtml(options.title)}</title>
<style nonce="${escapeHtml(options.nonce)}">${STYLE}</style>`,
    `<header><a href="/docs">API reference</a> · <a href="/docs/errors">Errors</a></header>
<main>
${options.body}
</main>`,
  );
}
