/** A small seeded PRNG (mulberry32): the same seed gives the same sandbox on every machine and Node version. */

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** An integer in [min, max]. */
  between(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** `prefix` followed by `length` base62 characters. */
  id(prefix: string, length?: number): string;
  /** A new independent generator seeded from this one, so one stream's length never shifts another's values. */
  fork(): Random;
}

export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const random: Random = {
    next,
    int: (n) => Math.floor(next() * n),
    between: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (probability) => next() < probability,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    id: (prefix, length = 16) => {
      let text = prefix;
      for (let i = 0; i < length; i++) text += BASE62[Math.floor(next() * 62)];
      return text;
    },
    fork: () => mulberry32(Math.floor(next() * 4294967296)),
  };
  return random;
}
