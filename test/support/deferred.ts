/**
 * A promise settled by hand, for hubs and client handlers that tests drive step by step.
 * @module
 */
import { within } from './wait.js';

export class Deferred<T = void> {
  readonly promise: Promise<T>;
  #settled = false;
  #resolve!: (value: T) => void;
  #reject!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A deferred nobody awaits must not crash the run when it is rejected.
    this.promise.catch(() => undefined);
  }

  get settled(): boolean {
    return this.#settled;
  }

  resolve(value: T): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve(value);
  }

  reject(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#reject(error);
  }

  /** The promise, bounded by `ms`. */
  wait(ms = 5000, what = 'a deferred value'): Promise<T> {
    return within(this.promise, ms, what);
  }
}
