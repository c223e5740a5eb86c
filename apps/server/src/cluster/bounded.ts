/**
 * A bound on work that must not hold anything up: Redis calls (a Redis that accepts the
 * connection but does not answer would otherwise keep them waiting without end), module stops
 * during shutdown.
 * @module
 */

/** Rejects (with `message`, by default "no answer within <ms> ms") if `promise` has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message = `no answer within ${ms} ms`): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
