/**
 * The reason-code section of docs/errors.md, generated from the registry (`npm run docs:write`); a test fails when
 * the committed file and the registry differ.
 */
import { REASON_CODES, REASONS, type ReasonSpec, type ReasonStatus, STATUS_GUIDANCE } from '../contract/reasons.js';

const TABLE_START = '<!-- reason-codes:start — generated from src/contract/reasons.ts by `npm run docs:write` -->';
const TABLE_END = '<!-- reason-codes:end -->';

const FIELD_TEXT: Record<Exclude<ReasonSpec['field'], null>, string> = {
  limit: '`limit`',
  offset: '`offset`',
  sort_order: '`sort_order`',
  'start_at|end_at': '`start_at` / `end_at`, or null for a bad range',
  query_key: 'the first unsupported key (null when unsafe to echo)',
};

/** Table cells: a `|` would end the cell. */
const cell = (text: string) => text.replaceAll('|', '\\|');

export function reasonCodeSection(): string {
  const rows = REASON_CODES.map((code) => {
    const spec = REASONS[code];
    const field = spec.field === null ? 'null' : FIELD_TEXT[spec.field];
    return `| ${spec.status} | \`${spec.error}\` | \`${code}\` | ${cell(field)} | ${cell(spec.when)} |`;
  });
  const statuses = Object.keys(STATUS_GUIDANCE)
    .map(Number)
    .sort((a, b) => a - b) as ReasonStatus[];
  const guidance = statuses.map((status) => `| ${status} | ${cell(STATUS_GUIDANCE[status])} |`);
  return [
    TABLE_START,
    '| status | `error` | `reason_code` | `field` | when |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    'How to handle each status:',
    '',
    '| status | what to do |',
    '|---|---|',
    ...guidance,
    TABLE_END,
  ].join('\n');
}

/**
 * The section with table padding removed (Biome pads Markdown tables when it formats docs/), so the committed file
 * and a fresh rendering compare equal exactly when their cells do.
 */
export function unpaddedSection(markdown: string): string {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start === -1 || end < start) throw new Error('no reason-code markers');
  return markdown
    .slice(start, end + TABLE_END.length)
    .split('\n')
    .map((line) =>
      line.startsWith('|')
        ? line
            .split(/(?<!\\)\|/)
            .map((part) => part.trim().replace(/^:?-+:?$/, '---'))
            .join('|')
        : line,
    )
    .join('\n');
}

/** The file with its generated section replaced (the markers must be there once each). */
export function withReasonCodeSection(markdown: string): string {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start === -1 || end < start) throw new Error('docs/errors.md has no reason-code markers');
  return markdown.slice(0, start) + reasonCodeSection() + markdown.slice(end + TABLE_END.length);
}
