/**
 * A client-to-server stream as a hub method sees it: an AsyncIterable fed by the client's
 * StreamItem messages, ended by its Completion.
 * @module
 */
import { HubError } from '../core/errors.js';

/**
 * Why an upload stream was ended by the client with an error; its message is the client's text.
 *
 * It is a {@link HubError}, as ASP.NET wraps the client's text in a `HubException`: a method that
 * does not catch it fails with
 * `An unexpected error occurred invoking 'X' on the server. HubException: <client's text>`,
 * with or without detailed errors.
 *
 * @example
 * ```ts
 * async upload(items: AsyncIterable<number>) {
 *   try {
 *     for await (const item of items) store(item);
 *   } catch (error) {
 *     if (error instanceof UploadStreamError) return `client gave up: ${error.message}`;
 *     throw error;
 *   }
 * }
 * ```
 */
export class UploadStreamError extends HubError {
  override readonly name = 'UploadStreamError';
}

/**
 * A bounded queue of the items a client uploads. When `capacity` items wait unread, the
 * connection stops processing input until the hub method reads (`isFull` + `onSpace`), which is
 * ASP.NET's back-pressure on uploads.
 */
export class UploadStream<T = unknown> implements AsyncIterable<T> {
  readonly streamId: string;
  readonly #capacity: number;
  readonly #onSpace: () => void;
  #items: T[] = [];
  #head = 0;
  #ended = false;
  #error: Error | undefined;
  #abandoned = false;
  #wake: (() => void) | undefined;

  constructor(streamId: string, capacity: number, onSpace: () => void) {
    this.streamId = streamId;
    this.#capacity = capacity;
    this.#onSpace = onSpace;
  }

  /** True when the next item must wait until the method reads. */
  get isFull(): boolean {
    return !this.#abandoned && this.#items.length - this.#head >= this.#capacity;
  }

  /** A StreamItem arrived. Items after the end, or for a stream the method stopped reading, are dropped. */
  push(item: T): void {
    if (this.#ended || this.#abandoned) return;
    this.#items.push(item);
    this.#wakeReader();
  }

  /** The client's Completion (with its error text, if any), or the end of the invocation. */
  end(error?: string): void {
    if (this.#ended) return;
    this.#ended = true;
    if (error !== undefined) this.#error = new UploadStreamError(error);
    this.#wakeReader();
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    try {
      for (;;) {
        if (this.#head < this.#items.length) {
          const wasFull = this.isFull;
          const item = this.#items[this.#head]!;
          this.#head++;
          if (this.#head === this.#items.length) {
            this.#items = [];
            this.#head = 0;
          }
          if (wasFull) this.#onSpace();
          yield item;
          continue;
        }
        if (this.#ended) {
          if (this.#error !== undefined) throw this.#error;
          return;
        }
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      // The method stopped reading early (break/return/throw): drop what is left, unblock input.
      if (!this.#ended) {
        this.#abandoned = true;
        this.#items = [];
        this.#head = 0;
        this.#onSpace();
      }
    }
  }
}
