/**
 * The repository explains itself (docs/README.md): docs/errors.md lists exactly the registry's codes with their
 * status and error (its table is generated, and must be regenerated when the registry changes); no tracked file
 * points outside the repository; the code cites docs/, not a contract kept elsewhere; every relative link in the
 * Markdown files resolves to a file of the repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REASON_CODES, REASONS } from '../../src/contract/reasons.js';
import { reasonCodeSection, unpaddedSection } from '../../src/docs/reason-table.js';

const ROOT = resolve(import.meta.dirname, '../..');
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
  .split('\0')
  .filter((path) => path !== '' && existsSync(join(ROOT, path)));

/** Text files only (a NUL byte marks a binary one). */
function textOf(path: string): string | null {
  const content = readFileSync(join(ROOT, path));
  return content.includes(0) ? null : content.toString('utf8');
}

describe('docs/errors.md', () => {
  const markdown = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');

  it('holds the section generated from the registry (run `npm run docs:write` after changing it)', () => {
    expect(unpaddedSection(markdown)).toBe(unpaddedSection(reasonCodeSection()));
  });

  it('lists every registry code exactly once, with its status and error', () => {
    const rows = [...markdown.matchAll(/^\| (\d{3}) +\| `([a-z_]+)` +\| `([a-z_]+)` +\|/gm)];
    expect(rows.map(([, status, error, code]) => [code, Number(status), error])).toEqual(
      REASON_CODES.map((code) => [code, REASONS[code].status, REASONS[code].error]),
    );
  });
});

describe('the repository stands alone', () => {
  it('no tracked file refers to the folder outside the repository', () => {
    const outside = ['..', 'shared'].join('/');
    const offenders = tracked.filter((path) => textOf(path)?.includes(outside));
    expect(offenders).toEqual([]);
  });

  it('code comments cite docs/ rather than a contract document that is not in the repository', () => {
    const sources = tracked.filter((path) => /^(src|packages\/client\/src)\/.*\.ts$/.test(path));
    expect(sources.length).toBeGreaterThan(50);
    const offenders = sources.filter((path) => textOf(path)!.includes('CONTRACT.md'));
    expect(offenders, 'cite the docs/ page instead (docs/README.md lists them)').toEqual([]);
  });

  it('every relative link in the Markdown files resolves to a file of the repository', () => {
    const broken: string[] = [];
    for (const path of tracked.filter((candidate) => candidate.endsWith('.md'))) {
      const text = textOf(path)!.replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!) || target!.startsWith('#')) continue;
        const file = resolve(ROOT, dirname(path), target!.split('#')[0]!);
        if (relative(ROOT, file).startsWith('..') || !existsSync(file)) broken.push(`${path}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
