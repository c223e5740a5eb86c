/**
 * A bound on Redis calls that must not hold anything up (shutdown, an admin answer): a Redis that
 * accepts the connection but does not answer would otherwise keep them waiting without end.
 * @module
 */

/** Rejects if `promise` has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
