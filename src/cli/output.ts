/** What a command prints: with `--json` exactly one JSON object on one line, otherwise lines for people. */
import type { Command } from 'commander';

export interface JsonOption {
  json?: boolean;
}

/** Adds a command that does the work (as opposed to a group); every one of them accepts `--json`. */
export function leaf(parent: Command, spec: string, description: string): Command {
  return parent.command(spec).description(description).option('--json', 'print exactly one JSON object on stdout');
}

/** The named columns of a row as they are stored: the part of a command's JSON that needs no converting. */
export function columnsAsStored<Row, Name extends keyof Row>(row: Row, names: readonly Name[]): Pick<Row, Name> {
  return Object.fromEntries(names.map((name) => [name, row[name]])) as Pick<Row, Name>;
}

/** With `--json` one JSON object on one line; otherwise human-readable lines. */
export function print(options: JsonOption, json: object, text: string | readonly string[]): void {
  const body = options.json ? JSON.stringify(json) : typeof text === 'string' ? text : text.join('\n');
  if (body !== '') process.stdout.write(`${body}\n`);
}

/** A listing: with `--json` `{ [field]: [row as JSON, …] }`, otherwise one line per row, or `empty` when none. */
export function printList<Row>(
  options: JsonOption,
  field: string,
  rows: readonly Row[],
  json: (row: Row) => object,
  line: (row: Row) => string,
  empty: string,
): void {
  print(options, { [field]: rows.map(json) }, rows.length === 0 ? empty : rows.map(line));
}

/** The line that hands a secret over: it is printed this once and never stored in plain text. */
export function shownOnce(label: string, secret: string): string {
  return `${label} (shown once, store it now): ${secret}`;
}
