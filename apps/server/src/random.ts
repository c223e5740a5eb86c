/**
 * Seeded random numbers for simulators, so tests get the same sequence every run.
 * @module
 */

/**
 * A generator of numbers in [0, 1) from a 32-bit seed (mulberry32): small, fast, and good
 * enough for mock data (not for anything secret).
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * random(); // the same first number every time
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** An integer from `min` to `max`, both included. */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** One element of a non-empty list. */
export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}
