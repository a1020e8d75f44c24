/** The real `curl` binary, as a partner would run it: status, every response header and the raw body. */
import { execFile } from 'node:child_process';

export interface CurlResponse {
  status: number;
  /** Lower-cased header name → every value, in order. */
  headers: Map<string, string[]>;
  body: Buffer;
  /** The one value of a header (joined with ', ' when repeated), or undefined. */
  header(name: string): string | undefined;
  text(): string;
  json(): unknown;
}

export interface CurlOptions {
  method?: string;
  /** `curl -I`: a HEAD request whose headers are the whole output. */
  head?: boolean;
  /** Raw header lines (`Name: value`), sent as written and in order (repeats allowed). */
  headers?: readonly string[];
  /** A request body (`--data-binary`). */
  data?: string;
}

function parse(output: Buffer): CurlResponse {
  const end = output.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`curl printed no header block: ${output.toString('latin1').slice(0, 200)}`);
  const lines = output.subarray(0, end).toString('latin1').split('\r\n');
  const statusLine = lines.shift()!;
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(statusLine)?.[1]);
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  const body = output.subarray(end + 4);
  return {
    status,
    headers,
    body,
    header: (name) => headers.get(name.toLowerCase())?.join(', '),
    text: () => body.toString('utf8'),
    json: () => JSON.parse(body.toString('utf8')),
  };
}

/**
 * `curl -s -S --path-as-is -g -D - URL`: the path goes out exactly as written (no `..` folding, no globbing), the
 * headers and the body come back on stdout.
 */
export function curl(url: string, options: CurlOptions = {}): Promise<CurlResponse> {
  const args = ['-s', '-S', '--path-as-is', '-g', '--max-time', '20'];
  if (options.head) args.push('-I');
  else args.push('-D', '-');
  if (options.method) args.push('-X', options.method);
  for (const header of options.headers ?? []) args.push('-H', header);
  if (options.data !== undefined) args.push('--data-binary', options.data);
  args.push(url);
  return new Promise((resolve, reject) => {
    execFile('curl', args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`curl ${args.join(' ')} failed: ${error.message} ${stderr.toString()}`));
      else {
        try {
          resolve(parse(stdout));
        } catch (failure) {
          reject(failure);
        }
      }
    });
  });
}
