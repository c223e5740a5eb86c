/**
 * The transport seam: moves whole payloads between a client and a connection. Transports know
 * nothing of hub messages; they carry bytes and report what arrives and when they end.
 * @module
 */

/** The three SignalR transports, named as negotiate lists them. */
export type TransportKind = 'WebSockets' | 'ServerSentEvents' | 'LongPolling';

/** Every transport, in ASP.NET's order of preference. */
export const TRANSPORT_KINDS: readonly TransportKind[] = Object.freeze(['WebSockets', 'ServerSentEvents', 'LongPolling']);

/** What a transport reports to its connection. */
export interface TransportEvents {
  /**
   * Bytes arrived from the client. `binary` says how the client sent them: a binary WebSocket
   * frame or an `application/octet-stream` POST (true), or text (false). The hub layer ignores it
   * and parses bytes (ASP.NET does not check opcodes); raw connections pass text on as text.
   */
  onData(chunk: Buffer, binary: boolean): void;
  /** The transport ended. `graceful` is true when the client closed it on purpose. */
  onClose(graceful: boolean, error?: Error): void;
}

/** One attached transport of a connection. */
export interface Transport {
  readonly kind: TransportKind;
  /**
   * True when the transport keeps itself alive (long polling: every poll is a sign of life), so
   * the hub layer sends no Pings and enforces no client timeout on it.
   */
  readonly inherentKeepAlive: boolean;
  /** Bytes handed to the transport that have not reached the operating system yet. */
  readonly bufferedAmount: number;
  /**
   * Sends one payload made of whole hub messages. `binary` picks the frame type where the
   * transport has one (WebSocket text vs binary frames).
   */
  send(payload: Buffer | string, binary: boolean): void;
  /**
   * Ends the transport after what was already sent (WebSocket close 1000, end of the event
   * stream, 204 to the next poll). `failed`: the application ended with an error, as ASP.NET tells
   * the client (WebSocket close 1011, 500 to the next poll; an event stream just ends).
   */
  close(failed?: boolean): void;
  /** Ends the transport at once, dropping anything unsent. */
  abort(): void;
  /** Stops reading from the client (back-pressure while the connection's inbound queue is full). */
  pause?(): void;
  /** Reads from the client again after {@link Transport.pause}. */
  resume?(): void;
  /**
   * Long polling: since when (endpoint clock, ms) no poll of the client has been pending, or
   * undefined while one is. The connection sweep disposes a transport idle for `disconnectTimeout`.
   */
  readonly idleSince?: number | undefined;
  /**
   * Long polling: true after the connection ended while the client has still to collect the last
   * bytes (a Close message) and the final 204 on polls to come, so its token must stay valid.
   */
  readonly draining?: boolean;
}

/** A transport whose client→server half is HTTP POSTs (Server-Sent Events and long polling). */
export interface PostReceivingTransport extends Transport {
  readonly kind: 'ServerSentEvents' | 'LongPolling';
  /**
   * Feeds one POSTed body to the connection as it arrives; resolves once it is consumed. The
   * caller runs one body at a time per connection, so bytes reach the hub layer in order.
   * `binary` is passed on with every chunk (see {@link TransportEvents.onData}).
   */
  receive(body: AsyncIterable<Buffer>, binary?: boolean): Promise<void>;
}

/** Whether `transport` takes its client's messages from POSTs. */
export function receivesPosts(transport: Transport | undefined): transport is PostReceivingTransport {
  return transport !== undefined && 'receive' in transport;
}
