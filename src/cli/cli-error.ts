/** A mistake the operator can fix; main prints its message as the one error line. */
export class CliError extends Error {
  override name = 'CliError';
}
