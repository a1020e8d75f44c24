import { stat } from 'node:fs/promises';

/**
 * Size of a file about to be stored. A bad source is the caller's mistake (e.g. an import line), so it throws a
 * plain Error naming the file, never StorageUnavailableError.
 */
export async function sourceFileSize(sourcePath: string): Promise<number> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(sourcePath);
  } catch (error) {
    throw new Error(`cannot read ${sourcePath} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: error,
    });
  }
  if (!info.isFile()) throw new Error(`${sourcePath} is not a file`);
  return info.size;
}
