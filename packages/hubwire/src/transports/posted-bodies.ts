/**
 * The client→server half of the HTTP transports (Server-Sent Events and long polling): POSTed
 * bodies are streamed to the connection chunk by chunk, with back-pressure.
 * @module
 */
import type { TransportEvents } from './transport.js';

/**
 * Streams POST bodies into {@link TransportEvents.onData}. While paused (the connection's
 * inbound queue is full) the current body is not read further, so TCP pushes back on the client
 * and its POST stays unanswered until the queue drains.
 */
export class PostedBodies {
  readonly #events: TransportEvents;
  #paused = false;
  #stopped = false;
  #wake: (() => void) | undefined;

  constructor(events: TransportEvents) {
    this.#events = events;
  }

  /** Feeds `body` to the connection; resolves once every byte has been read. */
  async receive(body: AsyncIterable<Buffer>, binary = false): Promise<void> {
    for await (const chunk of body) {
      // After the transport ended the rest is drained unread, so the POST can still be answered.
      if (this.#stopped) continue;
      this.#events.onData(chunk, binary);
      while (this.#paused && !this.#stopped) await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#release();
  }

  /** The transport ended: drop whatever still arrives and release a paused body. */
  stop(): void {
    this.#stopped = true;
    this.#release();
  }

  #release(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
