/**
 * The WebSocket transport over the `ws` library.
 * @module
 */
import type { WebSocket } from 'ws';
import { CompressedBacklog } from './compressed-backlog.js';
import type { Transport, TransportEvents } from './transport.js';
import { MAXIMUM_COMPRESSED_MESSAGE_SIZE, negotiatedWindowBits, type ResolvedWebSocketCompression } from './websocket-compression.js';
import { writeOwnTextFrame } from './own-frames.js';
import { writePrecompressed, writePreframed } from './websocket-frames.js';

// One options object per frame type: ws reads them per send, so don't allocate one per message.
const TEXT_FRAME = { binary: false, compress: false } as const;
const BINARY_FRAME = { binary: true, compress: false } as const;

/** How long to wait for the client's close frame before dropping the socket (ASP.NET's CloseTimeout). */
export const WEBSOCKET_CLOSE_TIMEOUT_MS = 5000;

/** What `ws` reports as the code of a close frame that carried none. */
const NO_STATUS_RECEIVED = 1005;
/** What `ws` reports when the socket ended without a close frame. */
const ABNORMAL_CLOSURE = 1006;
const NORMAL_CLOSURE = 1000;
const INTERNAL_ERROR = 1011;

interface ReceiverInternals {
  prependListener(event: 'conclude', listener: (this: TaggedReceiver, code: number) => void): unknown;
}

// Idle connections are most of a server's memory: the listeners below are shared by every socket
// (one function each, no closure per connection). They find their transport, or socket, through
// these properties, set once per socket.
const TRANSPORT = Symbol('hubwire.transport');
const SOCKET = Symbol('hubwire.socket');
type TaggedSocket = WebSocket & { [TRANSPORT]: WebSocketTransport };
type TaggedReceiver = ReceiverInternals & { [SOCKET]: WebSocket };

/**
 * `ws` answers a close frame by echoing its code, and an empty close frame with an empty one,
 * which the client then reports as 1005 ("no status"). ASP.NET answers it with 1000. ws has no
 * option for this, so listen on its receiver's `conclude` event ahead of ws's own handler and
 * send the 1000 first; ws then finds the close already under way and only completes it. Without
 * the expected internals the echo stays as it is.
 */
function answerEmptyCloseWithNormal(socket: WebSocket): void {
  const receiver = (socket as unknown as { _receiver?: Partial<ReceiverInternals> })._receiver;
  if (typeof receiver?.prependListener !== 'function') return;
  (receiver as TaggedReceiver)[SOCKET] = socket;
  (receiver as TaggedReceiver).prependListener('conclude', answerWithNormal);
}

function answerWithNormal(this: TaggedReceiver, code: number): void {
  const socket = this[SOCKET];
  if (code === NO_STATUS_RECEIVED && socket.readyState === 1) socket.close(NORMAL_CLOSURE);
}

/** ws emits 'close' after 'error'; the connection learns of the end from there. */
function ignoreError(): void {}

/** A {@link Transport} over one `ws` socket. */
export class WebSocketTransport implements Transport {
  readonly kind = 'WebSockets' as const;
  readonly inherentKeepAlive = false;
  readonly #socket: WebSocket;
  readonly #events: TransportEvents;
  #closing = false;
  // Set only when the client negotiated permessage-deflate with a window we can deflate for.
  readonly #compression: ResolvedWebSocketCompression | undefined;
  readonly #windowBits: number;
  readonly #backlog: CompressedBacklog | undefined;

  /**
   * `compression`: the endpoint's setting; it applies if the handshake accepted permessage-deflate,
   * as `extensions` (the accepted `Sec-WebSocket-Extensions` value) says.
   */
  constructor(socket: WebSocket, events: TransportEvents, compression?: ResolvedWebSocketCompression, extensions = '') {
    this.#socket = socket;
    const windowBits = compression === undefined ? undefined : negotiatedWindowBits(extensions);
    this.#compression = windowBits === undefined ? undefined : compression;
    this.#windowBits = windowBits ?? 0;
    this.#backlog = this.#compression === undefined ? undefined : new CompressedBacklog();
    this.#events = events;
    (socket as TaggedSocket)[TRANSPORT] = this;
    answerEmptyCloseWithNormal(socket);
    socket.on('message', WebSocketTransport.#received);
    socket.on('close', WebSocketTransport.#closed);
    socket.on('error', ignoreError);
  }

  static #received(this: WebSocket, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    (this as TaggedSocket)[TRANSPORT].#events.onData(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data), isBinary);
  }

  static #closed(this: WebSocket, code: number): void {
    const transport = (this as TaggedSocket)[TRANSPORT];
    // Any close frame from the client (1000, 1001, none at all: 1005, …) is an intentional end;
    // 1006 means the socket died without one. A close we started is not the client's doing.
    transport.#events.onClose(!transport.#closing && code !== ABNORMAL_CLOSURE);
  }

  get bufferedAmount(): number {
    const buffered = this.#socket.bufferedAmount;
    return this.#backlog === undefined ? buffered : this.#backlog.buffered(buffered);
  }

  send(payload: Buffer | string, binary: boolean): void {
    if (this.#socket.readyState !== 1) return;
    if (this.#backlog !== undefined) {
      this.#sendMaybeCompressed(payload, binary, this.#backlog);
      return;
    }
    // Buffers are what broadcasts share between recipients: frame them once for all. A string is
    // this connection's own text (answers to its calls): header and bytes in one write.
    if (typeof payload === 'string' ? !binary && writeOwnTextFrame(this.#socket, payload) : writePreframed(this.#socket, payload, binary)) return;
    this.#socket.send(payload, binary ? BINARY_FRAME : TEXT_FRAME);
  }

  #sendMaybeCompressed(payload: Buffer | string, binary: boolean, backlog: CompressedBacklog): void {
    const compression = this.#compression!;
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    if (size >= compression.threshold && size <= MAXIMUM_COMPRESSED_MESSAGE_SIZE) {
      // A string is this connection's own message; a Buffer may be a broadcast's, deflated once for all.
      const shared = typeof payload !== 'string';
      const bytes = shared ? payload : Buffer.from(payload, 'utf8');
      const written = writePrecompressed(this.#socket, bytes, binary, compression.level, this.#windowBits, shared);
      if (written !== undefined) {
        backlog.wroteCompressed(written, size);
        return;
      }
    }
    // ws itself never compresses here (compress: false), so its sender stays idle and frames keep their order.
    backlog.wrote(size + frameHeaderBytes(size));
    if (typeof payload !== 'string' && writePreframed(this.#socket, payload, binary)) return;
    this.#socket.send(payload, binary ? BINARY_FRAME : TEXT_FRAME);
  }

  close(failed = false): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#socket.readyState > 1) return;
    this.#socket.close(failed ? INTERNAL_ERROR : NORMAL_CLOSURE);
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

/** The length of an unmasked frame header for a payload of `size` bytes. */
function frameHeaderBytes(size: number): number {
  return size < 126 ? 2 : size < 65536 ? 4 : 10;
}
