/**
 * What graceful shutdown needs from the hubs: a filter that counts in-flight hub invocations,
 * refuses new ones once draining starts, and lets shutdown wait until they are done.
 * @module
 */
import { HubError, type HubFilter } from 'hubwire';

/** Tracks hub invocations in flight across every hub. */
export class InFlightInvocations {
  #count = 0;
  #draining = false;
  #waiters: (() => void)[] = [];

  /** Invocations running now. */
  get count(): number {
    return this.#count;
  }

  /** The filter to install server-wide (first, so it sees every invocation). */
  readonly filter: HubFilter = {
    invokeMethod: async (context, next) => {
      if (this.#draining) throw new HubError('The server is shutting down; reconnect and try again.');
      this.#count++;
      try {
        return await next(context);
      } finally {
        this.#count--;
        if (this.#count === 0) for (const wake of this.#waiters.splice(0)) wake();
      }
    },
  };

  /**
   * From now on new invocations fail with a HubError; resolves true once the running ones are
   * done, or false when `timeoutMs` passes first.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.#draining = true;
    if (this.#count === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<boolean>((resolve) => this.#waiters.push(() => resolve(true)));
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([done, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
