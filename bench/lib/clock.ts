/**
 * Wall-clock milliseconds with sub-millisecond resolution.
 *
 * `performance.timeOrigin + performance.now()` is comparable across processes on
 * the same machine (both anchor to the system clock), which is what broadcast
 * latency needs: the server stamps a payload, a load process reads it.
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with a descriptive error when `promise` does not settle within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
