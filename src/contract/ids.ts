/**
 * The one rule for stored ids: a letter or digit, then up to 127 of `A-Z a-z 0-9 . _ : -`. Ids become parts of
 * audio object keys and appear in URLs and logs, so no `/`, `..`, whitespace or control characters. The import
 * and the CLI refuse other ids, and a path id outside the rule is not found without a query.
 */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';

const ID = new RegExp(ID_PATTERN);

export function isValidId(id: string | undefined): id is string {
  return id !== undefined && ID.test(id);
}
