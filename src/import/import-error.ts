/** The import stopped at this line; nothing from the file was kept. */
export class ImportError extends Error {
  override name = 'ImportError';
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
  }
}
