/**
 * The Server-Sent Events transport: server→client over one streamed `text/event-stream`
 * response, client→server over POSTs.
 * @module
 */
import type { ServerResponse } from 'node:http';
import { PostedBodies } from './posted-bodies.js';
import { SSE_PREAMBLE, formatSseEvent } from './sse-format.js';
import type { PostReceivingTransport, TransportEvents } from './transport.js';

/** The headers ASP.NET sends on an event stream (no buffering by proxies, no compression). */
export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache,no-store',
  Pragma: 'no-cache',
  'Content-Encoding': 'identity',
} as const;

/** A {@link PostReceivingTransport} over one event-stream response. */
export class ServerSentEventsTransport implements PostReceivingTransport {
  readonly kind = 'ServerSentEvents' as const;
  readonly inherentKeepAlive = false;
  readonly #res: ServerResponse;
  readonly #bodies: PostedBodies;
  #ended = false;

  /**
   * Starts the stream: status, headers and the `:` comment go out at once, because the client's
   * start() waits for the EventSource `open` event.
   */
  constructor(res: ServerResponse, events: TransportEvents) {
    this.#res = res;
    this.#bodies = new PostedBodies(events);
    res.writeHead(200, SSE_HEADERS);
    res.write(SSE_PREAMBLE);
    // The response ends when we end it or when the client goes away. Either way the connection
    // is over; a client that meant to leave sent a Close message, which the hub layer handled.
    res.once('close', () => {
      this.#ended = true;
      this.#bodies.stop();
      events.onClose(false);
    });
  }

  get bufferedAmount(): number {
    return this.#res.writableLength;
  }

  send(payload: Buffer | string, _binary: boolean): void {
    if (this.#ended) return;
    this.#res.write(formatSseEvent(typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload));
  }

  receive(body: AsyncIterable<Buffer>, binary?: boolean): Promise<void> {
    return this.#bodies.receive(body, binary);
  }

  // An event stream has no way to say "failed": it ends either way (as ASP.NET's does).
  close(_failed?: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#bodies.stop();
    this.#res.end();
  }

  abort(): void {
    this.#ended = true;
    this.#bodies.stop();
    this.#res.destroy();
  }

  pause(): void {
    this.#bodies.pause();
  }

  resume(): void {
    this.#bodies.resume();
  }
}
