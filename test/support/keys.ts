/**
 * API key tokens built from CONTRACT.md section 3.1 alone (not from src/), so the tests also check that the server's
 * format and checksum agree with the written contract.
 */
import { randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** CRC-32 (IEEE) of `head`, in base62 (digits, upper, lower), most significant first, left-padded to 6. */
export function checksum(head: string): string {
  let value = crc32(head) >>> 0;
  let digits = '';
  while (value > 0) {
    digits = BASE62[value % 62] + digits;
    value = Math.floor(value / 62);
  }
  return digits.padStart(6, '0');
}

export function randomBody(length = 32): string {
  let body = '';
  for (let i = 0; i < length; i++) body += BASE62[randomInt(62)];
  return body;
}

/** `ch_sk_<env>_<body><checksum>`: well-formed when env is live/test and body is 32 base62 characters. */
export function makeToken(env: string, body = randomBody()): string {
  const head = `ch_sk_${env}_${body}`;
  return head + checksum(head);
}

/** The same token with its last checksum character changed. */
export function withBadChecksum(token: string): string {
  const last = token.at(-1)!;
  return token.slice(0, -1) + (last === '0' ? '1' : '0');
}
