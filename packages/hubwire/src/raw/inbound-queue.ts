/**
 * What a raw connection received and its handler has not read yet: a bounded queue read as an
 * async iterable, which pauses the transport while too much waits.
 * @module
 */

/** Data from the client: text as a string, binary as a Buffer. */
export type ConnectionData = string | Buffer;

/** How the queue pushes back on its transport. */
export interface InboundFlowControl {
  /** Stop reading from the client. */
  pause(): void;
  /** Read from the client again. */
  resume(): void;
}

/**
 * Received data waiting for the handler. Past `limit` waiting bytes the transport is paused; it
 * resumes once the handler has read the queue down to half. One reader at a time.
 */
export class InboundQueue implements AsyncIterable<ConnectionData> {
  readonly #limit: number;
  readonly #flow: InboundFlowControl;
  #items: ConnectionData[] = [];
  #head = 0;
  #bytes = 0;
  #paused = false;
  #ended = false;
  #reading = false;
  #wake: (() => void) | undefined;

  constructor(limit: number, flow: InboundFlowControl) {
    this.#limit = limit;
    this.#flow = flow;
  }

  /** Bytes received and not read yet. */
  get bufferedAmount(): number {
    return this.#bytes;
  }

  push(data: ConnectionData): void {
    if (this.#ended || data.length === 0) return;
    this.#items.push(data);
    this.#bytes += byteLength(data);
    if (!this.#paused && this.#bytes > this.#limit) {
      this.#paused = true;
      this.#flow.pause();
    }
    this.#release();
  }

  /** No more data will come; what is queued can still be read, unless `discard`. */
  end(discard: boolean): void {
    this.#ended = true;
    if (discard) {
      this.#items = [];
      this.#head = 0;
      this.#bytes = 0;
    }
    this.#release();
  }

  [Symbol.asyncIterator](): AsyncIterator<ConnectionData> {
    if (this.#reading) throw new TypeError('The connection is already being read by another loop.');
    this.#reading = true;
    return {
      next: async () => {
        while (this.#head === this.#items.length && !this.#ended) await new Promise<void>((resolve) => (this.#wake = resolve));
        if (this.#head === this.#items.length) {
          this.#reading = false;
          return { done: true, value: undefined };
        }
        return { done: false, value: this.#take() };
      },
      return: async () => {
        // Leaving a `for await` early lets another loop read the rest; it does not close anything.
        this.#reading = false;
        return { done: true, value: undefined };
      },
    };
  }

  #take(): ConnectionData {
    const data = this.#items[this.#head]!;
    this.#items[this.#head++] = '';
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    }
    this.#bytes -= byteLength(data);
    if (this.#paused && this.#bytes <= this.#limit / 2) {
      this.#paused = false;
      this.#flow.resume();
    }
    return data;
  }

  #release(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

function byteLength(data: ConnectionData): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
}
