/**
 * The WebSocket transport over the `ws` library.
 * @module
 */
import type { WebSocket } from 'ws';
import type { Transport, TransportEvents } from './transport.js';
import { writePreframed } from './websocket-frames.js';

// One options object per frame type: ws reads them per send, so don't allocate one per message.
const TEXT_FRAME = { binary: false, compress: false } as const;
const BINARY_FRAME = { binary: true, compress: false } as const;

/** How long to wait for the client's close frame before dropping the socket (ASP.NET's CloseTimeout). */
export const WEBSOCKET_CLOSE_TIMEOUT_MS = 5000;

/** A {@link Transport} over one `ws` socket. */
export class WebSocketTransport implements Transport {
  readonly kind = 'WebSockets' as const;
  readonly inherentKeepAlive = false;
  readonly #socket: WebSocket;
  #closing = false;

  constructor(socket: WebSocket, events: TransportEvents) {
    this.#socket = socket;
    socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      events.onData(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data));
    });
    socket.on('close', (code: number) => {
      // A close frame from the client (1000/1001) is an intentional end; 1006 means the socket died.
      events.onClose(!this.#closing && (code === 1000 || code === 1001));
    });
    socket.on('error', (error: Error) => {
      // ws emits 'close' after 'error'; the connection learns of the end from there.
      void error;
    });
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  send(payload: Buffer | string, binary: boolean): void {
    if (this.#socket.readyState !== 1) return;
    // Buffers are what broadcasts share between recipients: frame them once for all.
    if (typeof payload !== 'string' && writePreframed(this.#socket, payload, binary)) return;
    this.#socket.send(payload, binary ? BINARY_FRAME : TEXT_FRAME);
  }

  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#socket.readyState > 1) return;
    this.#socket.close(1000);
    const timer = setTimeout(() => this.#socket.terminate(), WEBSOCKET_CLOSE_TIMEOUT_MS);
    timer.unref();
    this.#socket.once('close', () => clearTimeout(timer));
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  abort(): void {
    this.#closing = true;
    this.#socket.terminate();
  }
}
