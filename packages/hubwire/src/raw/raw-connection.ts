/**
 * One raw connection (ASP.NET's `ConnectionContext` for `MapConnectionHandler`): bytes in, bytes
 * out over the negotiated transport, no hub protocol.
 * @module
 */
import { StringDecoder } from 'node:string_decoder';
import type { LiveConnection } from '../connections/endpoint.js';
import type { ConnectionRequestInfo, HttpConnection, Principal } from '../connections/http-connection.js';
import { HubwireError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { labelsWith, type MetricLabels, type Metrics } from '../core/metrics.js';
import type { TransportEvents, TransportKind } from '../transports/transport.js';
import { InboundQueue, type ConnectionData } from './inbound-queue.js';

/**
 * A client's connection as a raw connection handler sees it. Iterate it for what the client
 * sends; `send` what it should receive.
 *
 * Data arrives in chunks as the transport delivers them: a WebSocket frame, or a piece of a POSTed
 * body. No message boundaries are kept (ASP.NET's connections are byte streams too, and the
 * official client batches several `send` calls into one frame or POST), so a protocol on top needs
 * its own framing. Text (WebSocket text frames, `text/plain` POSTs) arrives as strings, binary
 * (binary frames, `application/octet-stream` POSTs) as Buffers.
 *
 * @example
 * ```ts
 * hubwire.mapConnection('/echo', async (connection) => {
 *   for await (const data of connection) {
 *     if (!connection.send(data)) await connection.drained();
 *   }
 * });
 * ```
 */
export interface RawConnection extends AsyncIterable<ConnectionData> {
  /** The connection's public id (negotiate's `connectionId`). */
  readonly connectionId: string;
  /** Headers, query and cookies of the request that established the transport. */
  readonly request: ConnectionRequestInfo;
  /** The authenticated user, or undefined for anonymous connections. */
  readonly user: Principal | undefined;
  /** The transport in use. */
  readonly transport: TransportKind;
  /** Per-connection storage that lives as long as the connection. */
  readonly items: Map<unknown, unknown>;
  /** Aborts when the connection ends, whoever ended it. */
  readonly signal: AbortSignal;
  /** Resolves once the connection has ended and its transport has closed. */
  readonly closed: Promise<void>;
  /** Bytes sent and not yet taken by the client (queued for a poll, or not yet written out). */
  readonly bufferedAmount: number;
  /**
   * Sends `data` to the client: a string as a text frame, bytes as a binary frame over WebSockets;
   * over long polling both reach the next poll as they are; over Server-Sent Events (text only)
   * bytes are sent as they are and must be UTF-8 text. Returns false when the connection is
   * closed (nothing is sent) or when the backlog has passed half of `maximumOutboundBufferSize`:
   * wait for {@link RawConnection.drained} before sending more. A send past the whole limit
   * drops the connection (the slow-consumer policy).
   */
  send(data: string | Uint8Array): boolean;
  /** Resolves once the backlog is below a quarter of `maximumOutboundBufferSize`, or the connection ended. */
  drained(): Promise<void>;
  /**
   * Ends the connection after what was sent: WebSocket close 1000, end of the event stream, 204
   * to the next poll. Iteration ends; later data is dropped.
   */
  close(): void;
}

/** A raw connection handler. The connection ends when the returned promise settles (or the handler returns). */
export type ConnectionHandler = (connection: RawConnection) => void | Promise<void>;

/** What a raw connection needs from its endpoint. */
export interface RawConnectionHost {
  readonly path: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly labels: MetricLabels;
  readonly maximumInboundBufferSize: number;
  readonly maximumOutboundBufferSize: number;
  /** The connection has ended: forget its token and its place among the live ones. Called once. */
  connectionEnded(connection: ServerConnection): void;
}

// Transports report no drain event, so drained() looks again every few milliseconds while waiting.
const DRAIN_POLL_MS = 5;

/** The implementation behind {@link RawConnection}. */
export class ServerConnection implements RawConnection, LiveConnection {
  readonly connectionId: string;
  readonly user: Principal | undefined;
  readonly signal: AbortSignal;
  readonly closed: Promise<void>;
  /** Where the transport reports; events of a transport that ended are ignored. */
  readonly events: TransportEvents;
  readonly #http: HttpConnection;
  readonly #host: RawConnectionHost;
  readonly #aborted = new AbortController();
  readonly #inbound: InboundQueue;
  #decoder: StringDecoder | undefined;
  #items: Map<unknown, unknown> | undefined;
  #resolveClosed!: () => void;
  #open = true;

  constructor(http: HttpConnection, host: RawConnectionHost) {
    this.#http = http;
    this.#host = host;
    this.connectionId = http.connectionId;
    this.user = http.principal;
    this.signal = this.#aborted.signal;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#inbound = new InboundQueue(host.maximumInboundBufferSize, {
      pause: () => this.#http.transport?.pause?.(),
      resume: () => this.#http.transport?.resume?.(),
    });
    this.events = {
      onData: (chunk, binary) => this.#receive(chunk, binary),
      onClose: () => {
        this.#end({ transportGone: true });
        this.#resolveClosed();
      },
    };
  }

  /** The transport-level connection underneath. */
  get http(): HttpConnection {
    return this.#http;
  }

  get request(): ConnectionRequestInfo {
    return this.#http.request;
  }

  get transport(): TransportKind {
    return this.#http.transportKind ?? 'WebSockets';
  }

  get items(): Map<unknown, unknown> {
    return (this.#items ??= new Map());
  }

  get bufferedAmount(): number {
    return this.#http.transport?.bufferedAmount ?? 0;
  }

  [Symbol.asyncIterator](): AsyncIterator<ConnectionData> {
    return this.#inbound[Symbol.asyncIterator]();
  }

  /** Runs the handler for the connection's life: when it settles, the connection ends. */
  async run(handler: ConnectionHandler): Promise<void> {
    const { logger, path } = this.#host;
    logger.info({ path, connectionId: this.connectionId, user: this.user?.userIdentifier, transport: this.transport }, 'connection opened');
    let failed = false;
    try {
      await handler(this);
    } catch (error) {
      failed = true;
      logger.error({ path, connectionId: this.connectionId, user: this.user?.userIdentifier, err: error }, 'connection handler threw; closing the connection');
    }
    this.#end({ failed });
  }

  send(data: string | Uint8Array): boolean {
    const transport = this.#http.transport;
    if (!this.#open || transport === undefined) return false;
    const binary = typeof data !== 'string';
    const payload = binary ? (Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)) : data;
    const size = binary ? payload.length : Buffer.byteLength(payload);
    const { maximumOutboundBufferSize } = this.#host;
    if (transport.bufferedAmount + size > maximumOutboundBufferSize) {
      this.#slowConsumer(transport.bufferedAmount + size);
      return false;
    }
    transport.send(payload, binary);
    return this.#open && transport.bufferedAmount < maximumOutboundBufferSize / 2;
  }

  drained(): Promise<void> {
    const low = this.#host.maximumOutboundBufferSize / 4;
    if (!this.#open || this.bufferedAmount < low) return Promise.resolve();
    // Real time, not the endpoint's clock: this waits for sockets, not for timeouts.
    return new Promise((resolve) => {
      const check = (): void => {
        if (!this.#open || this.bufferedAmount < low) resolve();
        else setTimeout(check, DRAIN_POLL_MS).unref();
      };
      setTimeout(check, DRAIN_POLL_MS).unref();
    });
  }

  close(): void {
    this.#end({});
  }

  /** Drops the transport at once (the end of a shutdown that ran out of time). */
  terminate(): void {
    this.#end({ abort: true });
    this.#http.transport?.abort();
  }

  #receive(chunk: Buffer, binary: boolean): void {
    if (!this.#open) return;
    if (binary) {
      this.#inbound.push(chunk);
      return;
    }
    // A POSTed text body may split a character between chunks; WebSocket text frames are whole.
    this.#inbound.push((this.#decoder ??= new StringDecoder('utf8')).write(chunk));
  }

  #slowConsumer(buffered: number): void {
    const { logger, metrics, labels, path, maximumOutboundBufferSize } = this.#host;
    metrics.increment('slowConsumerDisconnects', labelsWith(labels, 'reason', 'outbound_buffer'));
    logger.warn(
      { path, connectionId: this.connectionId, user: this.user?.userIdentifier, bufferedBytes: buffered, limit: maximumOutboundBufferSize },
      'slow consumer: outbound buffer full; closing the connection',
    );
    this.#end({ abort: true, error: new HubwireError('HUB_ERR_SLOW_CONSUMER', 'The outbound buffer overflowed.') });
  }

  #end(options: { transportGone?: boolean; failed?: boolean; abort?: boolean; error?: Error }): void {
    if (!this.#open) return;
    this.#open = false;
    // What the client sent before it left can still be read; after a server-side end it is dropped.
    this.#inbound.end(options.transportGone !== true);
    const transport = this.#http.transport;
    if (options.transportGone !== true) {
      if (transport === undefined) this.#resolveClosed();
      else if (options.abort === true) transport.abort();
      else transport.close(options.failed === true);
    }
    this.#host.connectionEnded(this);
    this.#aborted.abort(options.error);
    this.#host.logger.info({ path: this.#host.path, connectionId: this.connectionId, user: this.user?.userIdentifier, transport: this.transport }, 'connection closed');
  }
}
