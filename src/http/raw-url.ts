/** Helpers over the raw request URL, which the public routes read instead of Fastify's parsed views. */

/** The query string after the first `?` (without it); '' when absent. */
export function rawQueryOf(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? '' : url.slice(index + 1);
}

/**
 * The query's values exactly as sent, nothing decoded (a repeated name gives an array). For signed URLs: a percent
 * escape is then not a canonical character, so a value has one spelling only.
 */
export function undecodedQuery(rawQuery: string): Record<string, string | string[]> {
  const values: Record<string, string | string[]> = Object.create(null);
  for (const segment of rawQuery.split('&')) {
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    const name = eq === -1 ? segment : segment.slice(0, eq);
    const value = eq === -1 ? '' : segment.slice(eq + 1);
    const previous = values[name];
    values[name] = previous === undefined ? value : [previous, value].flat();
  }
  return values;
}

export function pathOf(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? url : url.slice(0, index);
}

/**
 * A path segment whose percent escapes do not decode (`%zz`, a cut-off `%E0%A4`) would make the router fail with
 * a 400. Such an id can never exist, but the contract wants the normal order of checks and then a 404, so the `%`
 * of such a segment is escaped and the id reaches the resource checks literally.
 */
export function escapeUndecodablePath(url: string): string {
  if (!url.includes('%')) return url; // Nearly every request: nothing to decode, nothing to split.
  const path = pathOf(url);
  const segments = path.split('/').map((segment) => {
    if (!segment.includes('%')) return segment;
    try {
      decodeURIComponent(segment);
      return segment;
    } catch {
      return segment.replaceAll('%', '%25');
    }
  });
  return segments.join('/') + url.slice(path.length);
}

/** Every value of a header as sent: Node keeps only the first of duplicate `Authorization` headers. */
export function rawHeaderValues(rawHeaders: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === name) values.push(rawHeaders[i + 1]!);
  }
  return values;
}
