/**
 * A fixed-capacity buffer that keeps the latest items: pushing onto a full buffer drops the
 * oldest. The sampler's history, so memory stays the same however long the server runs.
 * @module
 */

/**
 * @example
 * ```ts
 * const last3 = new RingBuffer<number>(3);
 * for (const n of [1, 2, 3, 4]) last3.push(n);
 * last3.toArray(); // [2, 3, 4]
 * ```
 */
export class RingBuffer<T> {
  readonly capacity: number;
  readonly #items: (T | undefined)[];
  /** Where the next item goes. */
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`A ring buffer holds at least one item; got ${capacity}.`);
    this.capacity = capacity;
    this.#items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
  }

  /** The items, oldest first. */
  toArray(): T[] {
    const start = (this.#next - this.#size + this.capacity) % this.capacity;
    return Array.from({ length: this.#size }, (_, i) => this.#items[(start + i) % this.capacity] as T);
  }
}
