/** The API key format of docs/keys.md: `ch_sk_<env>_<32 base62><6-char base62 CRC-32>`. */
import { randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { KeyEnvironment } from '../config.js';
import { KEY_CHECKSUM_LENGTH, KEY_RANDOM_LENGTH } from '../contract/bounds.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_PATTERN = new RegExp(
  `^ch_sk_(live|test)_([0-9A-Za-z]{${KEY_RANDOM_LENGTH}})([0-9A-Za-z]{${KEY_CHECKSUM_LENGTH}})$`,
);

export const KEY_LENGTH = 'ch_sk_live_'.length + KEY_RANDOM_LENGTH + KEY_CHECKSUM_LENGTH;
export const TEST_KEY_PREFIX = 'ch_sk_test_';
/** The prefix every key starts with, in any case: text carrying it may be (part of) a pasted key. */
const KEY_MATERIAL = /ch_sk_/i;

/** Whether `text` may carry key material, so it must never be echoed (error bodies, request ids, logs). */
export function mayCarryKeyMaterial(text: string): boolean {
  return KEY_MATERIAL.test(text);
}

function base62(value: number, width: number): string {
  let digits = '';
  let rest = value;
  while (rest > 0) {
    digits = BASE62[rest % 62] + digits;
    rest = Math.floor(rest / 62);
  }
  return digits.padStart(width, '0');
}

export function keyChecksum(prefixAndRandom: string): string {
  return base62(crc32(prefixAndRandom) >>> 0, KEY_CHECKSUM_LENGTH);
}

export interface ParsedKey {
  environment: KeyEnvironment;
  /** The first four characters of the body: safe to show as a display prefix. */
  displayPrefix: string;
}

/** A well-formed key with a valid checksum, or null. Never throws, whatever the input. */
export function parseKey(token: string): ParsedKey | null {
  const match = KEY_PATTERN.exec(token);
  if (!match) return null;
  const [, environment, random] = match as unknown as [string, KeyEnvironment, string, string];
  if (keyChecksum(`ch_sk_${environment}_${random}`) !== match[3]) return null;
  return { environment, displayPrefix: random.slice(0, 4) };
}

/** `length` characters of `0-9A-Za-z`, each drawn uniformly from the CSPRNG (no modulo bias). */
export function randomBase62(length: number): string {
  let random = '';
  for (let i = 0; i < length; i++) random += BASE62[randomInt(62)];
  return random;
}

/** A new key from the CSPRNG: 32 base62 characters carry log2(62^32) ≈ 190.5 bits. */
export function generateKey(environment: KeyEnvironment): string {
  const head = `ch_sk_${environment}_${randomBase62(KEY_RANDOM_LENGTH)}`;
  return head + keyChecksum(head);
}
