/**
 * The inbound pipeline of one hub connection: bytes → a bounded number of parsed messages → an
 * ordered queue → dispatch, with back-pressure. What the connection cannot dispatch yet stays
 * bytes (never more parsed messages than {@link PARSE_BATCH}), and while bytes wait the transport
 * stops reading, so TCP pushes back on the client. ASP.NET reads one message at a time from a
 * bounded pipe for the same reason: a megabyte frame of tiny invocations must not become
 * twenty thousand objects in memory.
 * @module
 */
import type { ProtocolError } from '../core/errors.js';
import type { HubProtocol } from '../protocol/hub-protocol.js';
import type { HubMessage } from '../protocol/messages.js';

/** Most parsed messages a connection holds that it has not dispatched yet. */
export const PARSE_BATCH = 32;

/** What the pipeline asks of its connection. */
export interface InputHandler {
  /**
   * Whether dispatching may go on at all (false once the connection is closing). A method, not a
   * getter: every connection has its own handler object, and object literals with accessors get
   * a hidden class each, which turns these calls megamorphic with many connections.
   */
  accepting(): boolean;
  /** `count` messages were parsed in one go (counted once per batch, not per message). */
  parsed(count: number): void;
  /**
   * A message was just parsed. Returns true when it was handled on the spot (answers to client
   * results, Acks and Sequences skip the queue), false to queue it in order.
   */
  intercept(message: HubMessage): boolean;
  /** Whether `message`, next in line, can be handled now (a free invocation slot, room in its upload). */
  ready(message: HubMessage): boolean;
  /** Handles the next message in order. */
  handle(message: HubMessage): void;
  /** The input broke the protocol: after the messages before the bad one, the connection closes. */
  protocolError(error: ProtocolError): void;
  /** Stop or start reading from the client. */
  pause(): void;
  resume(): void;
}

/**
 * The queue of a connection that has never had to queue a message: shared, never written (an
 * idle connection costs no array of its own).
 */
const NOTHING_QUEUED: HubMessage[] = [];

/** Bytes in, messages out, in order, never more than {@link PARSE_BATCH} parsed ahead. */
export class ConnectionInput {
  readonly #handler: InputHandler;
  readonly #maxMessageSize: number | null;
  #protocol: HubProtocol | undefined;
  /** Received bytes not parsed yet; `#offset` is where the unparsed part starts. */
  #bytes: Buffer | undefined;
  #offset = 0;
  /** True when what is left of `#bytes` is known to be the start of an incomplete message. */
  #tailIncomplete = false;
  #queue: HubMessage[] = NOTHING_QUEUED;
  #head = 0;
  #paused = false;
  #pumping = false;
  #again = false;
  #stopped = false;

  constructor(handler: InputHandler, maxMessageSize: number | null) {
    this.#handler = handler;
    this.#maxMessageSize = maxMessageSize;
  }

  /** Parsing starts once the handshake has chosen the protocol. */
  start(protocol: HubProtocol): void {
    this.#protocol = protocol;
  }

  /**
   * True while the server, not the client, is the reason nothing is being read: messages wait
   * for dispatch or reading is paused. The client timeout does not run then (ASP.NET stops it
   * while it dispatches).
   */
  get behind(): boolean {
    return this.#head < this.#queue.length || this.#paused;
  }

  /** Messages parsed and waiting (for tests and metrics). */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Bytes received and not parsed yet. */
  get unparsedBytes(): number {
    return this.#bytes === undefined ? 0 : this.#bytes.length - this.#offset;
  }

  /** Bytes arrived from the transport. */
  push(chunk: Buffer): void {
    if (this.#stopped) return;
    const rest = this.#rest();
    // Copy a leftover tail into the new buffer so a large old chunk is not kept alive by it.
    this.#bytes = rest === undefined ? chunk : Buffer.concat([rest, chunk]);
    this.#offset = 0;
    this.#tailIncomplete = false;
    this.pump();
  }

  /** Bytes that arrived with the handshake, after its end. */
  pushAfterHandshake(rest: Buffer): void {
    if (rest.length > 0) this.push(Buffer.from(rest));
  }

  /**
   * Dispatches what can be dispatched and parses more as room frees up. Safe to call from inside
   * a dispatch (a slot given back synchronously): the running call picks the work up, so the
   * stack never grows with the queue.
   */
  pump(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        this.#dispatch();
        if (this.#stopped || !this.#handler.accepting()) return;
        this.#parseMore();
      } while (this.#again && !this.#stopped);
    } finally {
      this.#pumping = false;
      this.#applyBackPressure();
    }
  }

  /** The connection is closing: drop everything and read again, so the client's close is seen. */
  stop(): void {
    this.#stopped = true;
    this.#bytes = undefined;
    this.#queue = NOTHING_QUEUED;
    this.#head = 0;
    if (this.#paused) {
      this.#paused = false;
      this.#handler.resume();
    }
  }

  #dispatch(): void {
    const handler = this.#handler;
    while (this.#head < this.#queue.length) {
      if (!handler.accepting()) return;
      const message = this.#queue[this.#head]!;
      if (!handler.ready(message)) return;
      this.#head++;
      handler.handle(message);
      if (this.#stopped) return;
    }
    this.#queue.length = 0;
    this.#head = 0;
  }

  #parseMore(): void {
    const protocol = this.#protocol;
    const room = PARSE_BATCH - (this.#queue.length - this.#head);
    if (protocol === undefined || room <= 0 || this.#tailIncomplete || this.unparsedBytes === 0) return;
    const input = this.#offset === 0 ? this.#bytes! : this.#bytes!.subarray(this.#offset);
    const result = protocol.parse(input, this.#maxMessageSize, room);
    this.#offset += result.consumed;
    if (this.unparsedBytes === 0) {
      this.#bytes = undefined;
      this.#offset = 0;
    } else if (result.error === undefined && result.limited !== true) {
      // Not stopped by the batch limit: what is left is the start of an incomplete message.
      this.#tailIncomplete = true;
    }
    let queued = false;
    if (result.messages.length > 0) this.#handler.parsed(result.messages.length);
    for (const message of result.messages) {
      // An intercepted message can end the connection (a bad Sequence): nothing after it counts.
      if (this.#stopped) return;
      if (!this.#handler.intercept(message)) {
        if (this.#queue === NOTHING_QUEUED) this.#queue = [];
        this.#queue.push(message);
        queued = true;
      }
    }
    if (result.error !== undefined) {
      // The messages before the bad one go first, as far as they can now; then the connection closes.
      this.#dispatch();
      this.#stopped = true;
      this.#handler.protocolError(result.error);
      return;
    }
    if (queued || result.consumed > 0) this.#again = true;
  }

  #rest(): Buffer | undefined {
    if (this.#bytes === undefined || this.#offset >= this.#bytes.length) return undefined;
    return this.#bytes.subarray(this.#offset);
  }

  /** Reading stops while whole messages wait as bytes; it goes on once only an incomplete tail (or nothing) is left. */
  #applyBackPressure(): void {
    if (this.#stopped) return;
    const waiting = this.unparsedBytes > 0 && !this.#tailIncomplete;
    if (waiting && !this.#paused) {
      this.#paused = true;
      this.#handler.pause();
    } else if (!waiting && this.#paused) {
      this.#paused = false;
      this.#handler.resume();
    }
  }
}
