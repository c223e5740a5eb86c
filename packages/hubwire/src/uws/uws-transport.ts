/**
 * The WebSocket transport over uWebSockets.js.
 * @module
 */
import type { Transport, TransportEvents } from '../transports/transport.js';
import type { UwsWebSocket } from './uws-types.js';

const NORMAL_CLOSURE = 1000;
/** What uWebSockets.js reports when the socket ended without a close frame (or we closed it at once). */
const ABNORMAL_CLOSURE = 1006;
const POLICY_VIOLATION = 1008;
const MESSAGE_TOO_BIG = 1009;
const INTERNAL_ERROR = 1011;
/** What `send` returns when the message went out whole (0: buffered under backpressure, 2: dropped). */
const SENT = 1;

/**
 * How many bytes of a paused connection's messages are held before it is closed. uWebSockets.js
 * cannot stop reading one WebSocket, so a client that goes on sending while its inbound queue is
 * full (the hub layer paused it) is held to this instead of being slowed down by TCP.
 */
export const PAUSED_INPUT_LIMIT = 4 * 1024 * 1024;

/**
 * What a socket carries from its upgrade to its end. uWebSockets.js copies the user data's
 * properties onto the socket, so what changes later lives in this object it holds.
 */
export interface UwsSocketData {
  readonly session: UwsSession;
}

/** One upgraded socket's side of Hubwire. */
export interface UwsSession {
  /** Set once the connection took the socket. */
  transport: UwsTransport | undefined;
  /** Runs once the socket is open. */
  opened(socket: UwsWebSocket<UwsSocketData>): void;
}

/** A {@link Transport} over one uWebSockets.js WebSocket. */
export class UwsTransport implements Transport {
  readonly kind = 'WebSockets' as const;
  readonly inherentKeepAlive = false;
  /** Undefined once uWebSockets.js reported the close: any call on the socket would throw. */
  #socket: UwsWebSocket<UwsSocketData> | undefined;
  readonly #events: TransportEvents;
  readonly #maximumMessageSize: number;
  #closing = false;
  #closeReported = false;
  /** Set when a send left bytes buffered (or was dropped); cleared once the buffer is empty. */
  #backpressured = false;
  #paused = false;
  /** Messages that arrived while paused, delivered in order on resume. */
  #held: { chunk: Buffer; binary: boolean }[] | undefined;
  #heldBytes = 0;

  constructor(socket: UwsWebSocket<UwsSocketData>, events: TransportEvents, maximumMessageSize: number) {
    this.#socket = socket;
    this.#events = events;
    this.#maximumMessageSize = maximumMessageSize;
  }

  /** uWebSockets.js' `message` handler: `message` is valid only until it returns, so it is copied. */
  received(message: ArrayBuffer, binary: boolean): void {
    if (this.#closing) return;
    if (message.byteLength > this.#maximumMessageSize) {
      // As ws does past maxPayload.
      this.#end(MESSAGE_TOO_BIG);
      return;
    }
    const chunk = Buffer.copyBytesFrom(new Uint8Array(message));
    if (!this.#paused) {
      this.#events.onData(chunk, binary);
      return;
    }
    this.#heldBytes += chunk.length;
    if (this.#heldBytes > PAUSED_INPUT_LIMIT) {
      this.#end(POLICY_VIOLATION);
      return;
    }
    (this.#held ??= []).push({ chunk, binary });
  }

  /** uWebSockets.js' `close` handler. */
  closed(code: number): void {
    this.#socket = undefined;
    if (this.#closeReported) return;
    this.#closeReported = true;
    this.#held = undefined;
    // As over ws: any close frame from the client is an intentional end; 1006 means the socket
    // died without one. A close we started is not the client's doing.
    this.#events.onClose(!this.#closing && code !== ABNORMAL_CLOSURE);
  }

  get bufferedAmount(): number {
    // The hub layer asks before every send; a socket whose sends all went out has nothing buffered.
    if (!this.#backpressured || this.#socket === undefined) return 0;
    const buffered = this.#socket.getBufferedAmount();
    if (buffered === 0) this.#backpressured = false;
    return buffered;
  }

  send(payload: Buffer | string, binary: boolean): void {
    if (this.#closing || this.#socket === undefined) return;
    if (this.#socket.send(payload, binary, false) !== SENT) this.#backpressured = true;
  }

  close(failed = false): void {
    this.#end(failed ? INTERNAL_ERROR : NORMAL_CLOSURE);
  }

  #end(code: number): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#held = undefined;
    const socket = this.#socket;
    // uWebSockets.js reports the close (and takes the socket back) within end().
    this.#socket = undefined;
    socket?.end(code);
  }

  abort(): void {
    this.#closing = true;
    this.#held = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    this.#heldBytes = 0;
    for (let i = 0; i < held.length; i++) {
      if (this.#closing) return;
      if (this.#paused) {
        // Paused again by what was delivered: the rest waits, still in order.
        const rest = held.slice(i);
        this.#held = this.#held === undefined ? rest : rest.concat(this.#held);
        for (const { chunk } of rest) this.#heldBytes += chunk.length;
        return;
      }
      this.#events.onData(held[i]!.chunk, held[i]!.binary);
    }
  }
}
