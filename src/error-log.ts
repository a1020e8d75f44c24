/**
 * What may be logged about an unexpected error: its type, its code and where it was thrown — never its message.
 * Messages quote the data that caused them (JSON.parse quotes its input, database drivers quote values and keys),
 * and that data can be a patient field or a secret.
 */
export interface LoggableError {
  type: string;
  code?: string;
  /** Stack frames (`at fn (file:line:col)`), without the message line. */
  frames?: string[];
  cause?: LoggableError;
}

export function loggableError(error: unknown, depth = 0): LoggableError {
  if (!(error instanceof Error)) return { type: typeof error };
  const code = (error as { code?: unknown }).code;
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 20)
    .map((line) => line.trim());
  const result: LoggableError = { type: error.name, frames };
  if (typeof code === 'string' || typeof code === 'number') result.code = String(code);
  if (error.cause !== undefined && depth < 3) result.cause = loggableError(error.cause, depth + 1);
  return result;
}
