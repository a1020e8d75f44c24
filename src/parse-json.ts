/**
 * JSON.parse for text from outside the process (a keyring file, an audit anchor, an import line). A syntax error
 * becomes the caller's own error: the parser's message quotes the text, which can be a secret or a patient field.
 */
export function parseJson(text: string, invalid: () => Error): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalid();
  }
}
