/**
 * The hub-level half of a connection as a state machine: handshaking → connecting → connected →
 * closed, with the transport attached, lost and resumed (stateful reconnect) along the way. It
 * decides what happens in which state; how is up to its units: the inbound pipeline
 * (`connection-input.ts`), outbound writes (`connection-output.ts`), invocations
 * (`connection-invocations.ts`), uploads, server streams and client results
 * (`connection-calls.ts`), the heartbeat's decisions (`liveness.ts`), stateful reconnect's steps
 * (`stateful-reconnect.ts`), each ending's counter, log line and Close (`connection-endings.ts`)
 * and what hub code sees (`connection-context.ts`). Keeping them apart keeps this file about
 * states, and each rule where it can be read (and tested) whole.
 * @module
 */
import { HubwireError, type ProtocolError } from '../core/errors.js';
import type { HttpConnection, TransportResumer } from '../connections/http-connection.js';
import type { ClientResultOptions, HubLifetimeManager, LifetimeConnection } from '../lifetime/hub-lifetime-manager.js';
import type { BacklogAware } from '../lifetime/recovery/recovery-types.js';
import type { HubProtocol } from '../protocol/hub-protocol.js';
import { HANDSHAKE_SUCCESS, handshakeErrorResponse } from '../protocol/handshake.js';
import { MessageType, isTrackable, type CloseMessage, type HubMessage } from '../protocol/messages.js';
import { serialize, type SerializedMessage } from '../protocol/serialized-message.js';
import type { Transport, TransportEvents } from '../transports/transport.js';
import type { HubCallerClients } from './hub-clients.js';
import type { HubCallerContext } from './hub-caller-context.js';
import type { DispatchTarget } from './hub-dispatcher.js';
import type { StreamCancellation } from './stream-cancellation.js';
import type { UploadStream } from './upload-stream.js';
import { ConnectionInput, type InputHandler } from './connection-input.js';
import { ConnectionOutput, type OverflowListener } from './connection-output.js';
import { ConnectionCalls } from './connection-calls.js';
import { createCallerClients, createCallerContext, createConnectingClients, type CallerContextSource } from './connection-context.js';
import * as endings from './connection-endings.js';
import { ConnectionInvocations, mayStart, type InvocationHost } from './connection-invocations.js';
import { Liveness, authenticationExpired } from './liveness.js';
import * as reconnect from './stateful-reconnect.js';
import { acceptHandshake } from './handshake-acceptor.js';
import type { HubMeter, ProtocolTraffic } from './hub-meter.js';

/** What the mapped hub provides to each of its connections: what their units need, and more. */
export interface HubConnectionHost extends InvocationHost, reconnect.ReconnectHost {
  readonly lifetime: HubLifetimeManager;
  /** Traffic tallies and connection labels of the hub. */
  readonly meter: HubMeter;
  /** The connection has ended: forget its token and stop ticking it. Called once. */
  connectionEnded(connection: HubConnection): void;
}

/** Where a hub connection is in its life. */
export type HubConnectionState = 'handshaking' | 'connecting' | 'connected' | 'closed';

const PING: HubMessage = { type: MessageType.Ping };

/** One client's connection to one hub, from handshake to close. */
export class HubConnection implements LifetimeConnection, BacklogAware, TransportEvents, DispatchTarget, TransportResumer, CallerContextSource {
  readonly connectionId: string;
  readonly userIdentifier: string | undefined;
  readonly #http: HttpConnection;
  readonly #host: HubConnectionHost;
  // Created on first use: thousands of idle connections should cost as little memory as possible.
  #context: HubCallerContext | undefined;
  #callerClients: HubCallerClients<unknown> | undefined;
  #connectingClients: HubCallerClients<unknown> | undefined;
  #calls: ConnectionCalls | undefined;
  #invocations: ConnectionInvocations | undefined;
  readonly #output: ConnectionOutput;
  /** Bumped for every transport attached, so events of a replaced transport are ignored. */
  #transportGeneration = 0;
  #aborted: AbortController | undefined;
  #transportClosed = false;
  #closedPromise: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;
  #state: HubConnectionState = 'handshaking';
  #protocol: HubProtocol | undefined;
  /** The traffic tally of the protocol, from the handshake on. */
  #traffic: ProtocolTraffic | undefined;
  /** Received bytes that do not make a whole handshake yet. */
  #handshakeBytes: Buffer | undefined;
  readonly #input: ConnectionInput;
  #hubConnected = false;
  readonly #liveness: Liveness;

  constructor(http: HttpConnection, host: HubConnectionHost) {
    this.#http = http;
    this.#host = host;
    this.connectionId = http.connectionId;
    this.userIdentifier = http.principal?.userIdentifier;
    this.#liveness = new Liveness(host.clock.now());
    const port = new HubConnection.#Port(this);
    this.#output = new ConnectionOutput(http, host.options.maximumOutboundBufferSize, port);
    this.#input = new ConnectionInput(port, host.options.maximumReceiveMessageSize);
  }

  /**
   * The connection's side of its input pipeline and of its output's overflow, one small object
   * whose methods sit on a prototype: an object literal of arrows would cost every connection,
   * idle or not, nine closures (and, with an accessor in it, a hidden class of its own, which made
   * the pump's calls megamorphic). Defined inside the class so it may reach the connection's
   * private state.
   */
  static readonly #Port = class Port implements InputHandler, OverflowListener {
    readonly #connection: HubConnection;

    constructor(connection: HubConnection) {
      this.#connection = connection;
    }

    accepting(): boolean {
      return this.#connection.#state === 'connected';
    }

    parsed(count: number): void {
      const connection = this.#connection;
      connection.#host.metrics.increment('messagesReceived', connection.#traffic?.labels ?? connection.#host.labels, count);
    }

    intercept(message: HubMessage): boolean {
      return this.#connection.#intercept(message);
    }

    ready(message: HubMessage): boolean {
      return this.#connection.#ready(message);
    }

    handle(message: HubMessage): void {
      this.#connection.#handle(message);
    }

    protocolError(error: ProtocolError): void {
      const connection = this.#connection;
      connection.#end(endings.protocolViolated(connection.#host, connection, error));
    }

    pause(): void {
      this.#connection.#http.transport?.pause?.();
    }

    resume(): void {
      this.#connection.#http.transport?.resume?.();
    }

    outputOverflowed(bufferedBytes: number): void {
      const connection = this.#connection;
      connection.#end(endings.slowConsumer(connection.#host, connection, bufferedBytes));
    }
  };

  /** One attached transport's events: ignored once another transport has replaced it (stateful reconnect). */
  static readonly #EventsPort = class EventsPort implements TransportEvents {
    readonly #connection: HubConnection;
    readonly #generation: number;

    constructor(connection: HubConnection, generation: number) {
      this.#connection = connection;
      this.#generation = generation;
    }

    onData(chunk: Buffer): void {
      if (this.#generation === this.#connection.#transportGeneration) this.#connection.onData(chunk);
    }

    onClose(graceful: boolean): void {
      if (this.#generation === this.#connection.#transportGeneration) this.#connection.onClose(graceful);
    }
  };

  /** What hub methods see as `this.context`. */
  get context(): HubCallerContext {
    return (this.#context ??= createCallerContext(this.#http, this));
  }

  get protocolName(): string {
    return this.#protocol?.name ?? '';
  }

  /** Fires when the connection ends; created on first use, already aborted once it has. */
  get connectionAborted(): AbortSignal {
    return (this.#aborted ??= abortedIf(this.#state === 'closed')).signal;
  }

  /** What hub methods see as `this.clients`. */
  get callerClients(): HubCallerClients<unknown> {
    return (this.#callerClients ??= createCallerClients(this.#host, this.connectionId));
  }

  /** What `onConnected` sees as `this.clients`. */
  get connectingClients(): HubCallerClients<unknown> {
    return (this.#connectingClients ??= createConnectingClients(this.#host, this.connectionId));
  }

  callerClientsReleasing(releaseSlot: () => void): HubCallerClients<unknown> {
    return createCallerClients(this.#host, this.connectionId, releaseSlot);
  }

  #openCalls(): ConnectionCalls {
    return (this.#calls ??= new ConnectionCalls(this.connectionId, this.#host.clock, this.#host.options.streamBufferCapacity, () => this.#input.pump()));
  }

  /** Server streams running on this connection. */
  get activeStreams(): Map<string, StreamCancellation> {
    return this.#openCalls().activeStreams;
  }

  openUploads(streamIds: readonly string[]): UploadStream[] {
    return this.#openCalls().openUploads(streamIds);
  }

  closeUploads(streamIds: readonly string[]): void {
    this.#openCalls().closeUploads(streamIds);
  }

  /** Invokes a client method and waits for its Completion (client results). */
  invokeClient(target: string, args: readonly unknown[], options: ClientResultOptions): Promise<unknown> {
    if (this.#state === 'closed') {
      return Promise.reject(new HubwireError('HUB_ERR_CLIENT_RESULT', `Connection '${this.connectionId}' disconnected.`));
    }
    return this.#openCalls().invokeClient(this, target, args, options);
  }

  /** Resolves when the transport has closed. */
  get closed(): Promise<void> {
    if (this.#transportClosed) return Promise.resolve();
    return (this.#closedPromise ??= new Promise((resolve) => (this.#resolveClosed = resolve)));
  }

  #markTransportClosed(): void {
    this.#transportClosed = true;
    this.#resolveClosed?.();
  }

  /** The transport-level connection underneath. */
  get http(): HttpConnection {
    return this.#http;
  }

  get state(): HubConnectionState {
    return this.#state;
  }

  /**
   * The events object for a newly attached transport. Events from a transport that has since
   * been replaced (stateful reconnect) are ignored.
   */
  transportEvents(): TransportEvents {
    const generation = ++this.#transportGeneration;
    // Only stateful reconnect replaces a transport; other connections take their events directly (one object less each).
    return this.#http.statefulReconnect ? new HubConnection.#EventsPort(this, generation) : this;
  }

  /** Stateful reconnect: the client's new WebSocket takes over; it is sent Sequence, then the replay. */
  resume(attach: (events: TransportEvents) => Transport): boolean {
    if (this.#output.replay === undefined || this.#state === 'closed' || this.#state === 'handshaking') return false;
    reconnect.takeOver(this.#host, this, this.#http, this.#output, this.#protocol!, attach);
    return true;
  }

  // ---- inbound -------------------------------------------------------------------------------

  onData(chunk: Buffer): void {
    if (this.#state === 'closed') return;
    this.#liveness.receivedSinceTick = true;
    if (this.#state !== 'handshaking') {
      this.#traffic?.received(chunk.length);
      // Whatever this read produces goes out as one write once it is handled.
      const output = this.#output;
      output.hold();
      try {
        this.#input.push(chunk);
      } finally {
        output.release();
      }
      return;
    }
    const input = this.#handshakeBytes === undefined ? chunk : Buffer.concat([this.#handshakeBytes, chunk]);
    this.#handshakeBytes = undefined;
    this.#handshake(input);
  }

  onClose(graceful: boolean): void {
    if (this.#output.replay !== undefined && !graceful && (this.#state === 'connected' || this.#state === 'connecting')) {
      reconnect.transportLost(this.#host, this, this.#http);
      return;
    }
    this.#end({ error: graceful ? undefined : new Error('The connection was closed without a close message.') });
    this.#markTransportClosed();
  }

  #handshake(input: Buffer): void {
    const { options } = this.#host;
    const outcome = acceptHandshake(input, options, this.#http.transportKind);
    if (outcome.kind === 'incomplete') {
      this.#handshakeBytes = input;
      return;
    }
    if (outcome.kind === 'refused') {
      this.#failHandshake(outcome.error, outcome.reason);
      return;
    }
    const { protocol, version, consumed } = outcome;
    this.#protocol = protocol;
    const traffic = (this.#traffic = this.#host.meter.traffic(protocol.name));
    this.#output.traffic = traffic;
    if (input.length > consumed) traffic.received(input.length - consumed);
    this.#output.binary = protocol.transferFormat === 'Binary';
    if (reconnect.wantsStatefulReconnect(this.#http, version)) {
      this.#output.enableReplay(options.statefulReconnectBufferSize);
      this.#http.resumer = this;
    }
    this.#http.transport?.send(HANDSHAKE_SUCCESS, this.#output.binary);
    this.#state = 'connecting';
    this.#input.start(protocol);
    // Messages sent right behind the handshake wait as bytes until the hub is connected.
    this.#input.pushAfterHandshake(input.subarray(consumed));
    void this.#connect();
  }

  #failHandshake(error: string, reason: endings.HandshakeFailure): void {
    endings.handshakeFailed(this.#host, this, error, reason);
    if (reason === 'timeout') this.#http.endStatus ??= 'timeout';
    this.#state = 'closed';
    const transport = this.#http.transport;
    transport?.send(handshakeErrorResponse(error), false);
    if (transport === undefined) this.#markTransportClosed();
    else transport.close();
    this.#host.connectionEnded(this);
    this.#aborted?.abort();
  }

  async #connect(): Promise<void> {
    const { lifetime, dispatcher, logger, metrics, meter, path } = this.#host;
    try {
      await lifetime.onConnected(this);
      if (this.#state !== 'connecting') return;
      await dispatcher.onConnected(this);
    } catch (error) {
      this.#end(endings.connectFailed(this.#host, this, error));
      return;
    }
    if (this.#state !== 'connecting') return;
    this.#hubConnected = true;
    this.#state = 'connected';
    metrics.increment('connectionsOpened', meter.connectionLabels(this.#http.transportKind, this.protocolName));
    logger.info(
      { hub: path, connectionId: this.connectionId, user: this.userIdentifier, transport: this.#http.transportKind, protocol: this.#protocol?.name },
      'client connected',
    );
    this.#input.pump();
  }

  /**
   * A message was just parsed. Stateful-reconnect bookkeeping and answers to client-result calls
   * are handled at once; everything else queues in order. Client results skip the queue because
   * the hub method waiting for one may hold the only invocation slot, and an invocation queued
   * before the answer would deadlock.
   */
  #intercept(message: HubMessage): boolean {
    const replay = this.#output.replay;
    if (replay !== undefined) {
      const goesOn = reconnect.acceptInbound(this.#output, replay, message);
      if (goesOn !== true) {
        if (goesOn !== false) this.#end(endings.protocolViolated(this.#host, this, goesOn, true));
        return true;
      }
    }
    return message.type === MessageType.Completion && this.#calls?.completeClientResult(message) === true;
  }

  /** Whether the next message in line can be handled now. */
  #ready(message: HubMessage): boolean {
    if (!mayStart(this.#invocations, message, this.#host.options.maximumParallelInvocationsPerClient)) return false;
    // An upload stream whose buffer is full holds up input until the method reads.
    if (message.type === MessageType.StreamItem && this.#calls?.uploadIsFull(message.invocationId)) return false;
    return true;
  }

  #handle(message: HubMessage): void {
    switch (message.type) {
      case MessageType.Invocation:
      case MessageType.StreamInvocation: {
        const ending = (this.#invocations ??= new ConnectionInvocations()).start(this, message, this.#host, this.#input, this.#calls);
        if (ending !== undefined) this.#end(ending);
        return;
      }
      case MessageType.StreamItem:
        this.#calls?.pushItem(message.invocationId, message.item);
        return;
      case MessageType.Completion:
        this.#calls?.complete(message);
        return;
      case MessageType.CancelInvocation:
        this.#calls?.cancelStream(message.invocationId);
        return;
      case MessageType.Ping:
        this.#liveness.clientPinged = true;
        return;
      case MessageType.Close:
        this.#end({ close: { type: MessageType.Close }, error: message.error ? new Error(message.error) : undefined });
        return;
      default:
        // Ack/Sequence on a connection without stateful reconnect are ignored.
        return;
    }
  }

  whenWritable(): Promise<void> | undefined {
    return this.#output.whenWritable(this);
  }

  /** Bytes written and not yet taken by the client (the transport's buffer and stalled replay messages). */
  outboundBacklog(): number {
    return this.#output.backlog;
  }

  /** Resolves once {@link HubConnection.outboundBacklog} is below `bytes`, or the connection has ended. */
  whenBacklogBelow(bytes: number): Promise<void> {
    return this.#output.whenBacklogBelow(bytes);
  }

  /** A recoverable group gave up on this slow member: an error Close with allowReconnect, so it recovers. */
  closeAsSlow(reason: string): void {
    this.#end(endings.slowGroupMember(this.#host, this, reason));
  }

  /**
   * Shutdown: refuse new invocations (their callers get `The server is shutting down.`) and
   * resolve once the running ones have finished.
   */
  drain(): Promise<void> {
    return (this.#invocations ??= new ConnectionInvocations()).drain(this.#state === 'closed');
  }

  // ---- outbound ------------------------------------------------------------------------------

  /**
   * Sends one message to this connection (Completions, Pings, Close). Throws a
   * HUB_ERR_SERIALIZATION error when the message cannot be serialized (e.g. a circular result).
   */
  write(message: HubMessage): void {
    if (this.#state !== 'connecting' && this.#state !== 'connected') return;
    const payload = serialize(this.#protocol!, message);
    if (isTrackable(message)) this.#output.sendTrackable(payload);
    else this.#output.send(payload);
  }

  /** Sends a broadcast's shared bytes; the hot path of every fan-out. */
  writeSerialized(message: SerializedMessage): void {
    if (this.#state !== 'connecting' && this.#state !== 'connected') return;
    const bytes = message.get(this.#protocol!);
    this.#traffic!.message(message, bytes.length);
    this.#output.sendTrackable(bytes);
  }

  // ---- time ----------------------------------------------------------------------------------

  /** Called by the heartbeat about once a second: pings, client timeout, handshake timeout. */
  tick(now: number): void {
    const host = this.#host;
    const { options } = host;
    const liveness = this.#liveness;
    if (this.#state === 'handshaking') {
      if (liveness.handshakeOverdue(now, options.handshakeTimeout)) this.#failHandshake('Handshake was canceled.', 'timeout');
      return;
    }
    const lostAt = this.#http.awaitingResumeSince;
    if (lostAt !== undefined) {
      if (now - lostAt >= options.disconnectTimeout) this.#end(reconnect.resumeExpired(host, this));
      return;
    }
    if (this.#state !== 'connected') return;
    if (options.closeOnAuthenticationExpiration && authenticationExpired(this.#http.principal, now)) {
      this.#end(endings.authenticationExpired(host, this));
      return;
    }
    const transport = this.#http.transport;
    if (transport === undefined || transport.inherentKeepAlive) return;
    if (options.transportSendTimeout > 0) {
      const buffered = transport.bufferedAmount;
      const waited = liveness.sendStuck(now, options.transportSendTimeout, this.#output.written, buffered);
      if (waited !== undefined) {
        this.#end(endings.sendTimedOut(host, this, buffered, waited));
        return;
      }
    }
    const ack = this.#output.replay?.ackDue();
    if (ack !== undefined) this.write({ type: MessageType.Ack, sequenceId: ack });
    if (liveness.pingDue(now, this.#output, options.keepAliveInterval)) {
      this.write(PING);
      this.#output.wroteSinceTick = false;
    }
    if (liveness.clientSilent(now, this.#input, options.clientTimeoutInterval)) this.#end(endings.clientTimedOut(host, this));
  }

  // ---- close ---------------------------------------------------------------------------------

  /** Ends the connection from the server side; the client gets a Close without error and does not reconnect. */
  abort(): void {
    this.#end({ close: { type: MessageType.Close } });
  }

  /** Drops the transport at once, whatever state the connection is in (end of a shutdown). */
  terminate(): void {
    this.#end({ abort: true });
    this.#http.transport?.abort();
  }

  /** Ends the connection with a specific Close message (e.g. `allowReconnect` on shutdown). */
  close(message: CloseMessage): void {
    this.#end({ close: message });
  }

  #end(options: endings.EndOptions): void {
    if (this.#state === 'closed') return;
    const wasRegistered = this.#state !== 'handshaking';
    this.#state = 'closed';
    if (options.status !== undefined) this.#http.endStatus ??= options.status;
    this.#http.resumer = undefined;
    this.#http.awaitingResumeSince = undefined;
    // Answers held from the read being handled go before the Close (unless the socket is dropped).
    if (!options.abort) this.#output.flush();
    this.#output.clear();
    // Drop unread input and read again: a paused socket would not see the client's close frame.
    this.#input.stop();
    const transport = this.#http.transport;
    if (transport !== undefined) {
      if (options.close !== undefined && this.#protocol !== undefined && !options.abort) {
        transport.send(this.#protocol.write(options.close), this.#output.binary);
      }
      if (options.abort) transport.abort();
      else transport.close();
    } else {
      this.#markTransportClosed();
    }
    this.#host.connectionEnded(this);
    this.#aborted?.abort();
    this.#calls?.closeAll();
    this.#invocations?.wakeDrainers();
    if (wasRegistered) void this.#disconnect(options.error);
  }

  async #disconnect(error: Error | undefined): Promise<void> {
    const { dispatcher, lifetime, logger, metrics, meter, path } = this.#host;
    // Leave the caller's stack first: #end can run in the middle of a broadcast's loop.
    await Promise.resolve();
    try {
      if (this.#hubConnected) await dispatcher.onDisconnected(this, error);
    } finally {
      await lifetime.onDisconnected(this);
      if (this.#hubConnected) metrics.increment('connectionsClosed', meter.connectionLabels(this.#http.transportKind, this.protocolName));
      logger.info(
        { hub: path, connectionId: this.connectionId, user: this.userIdentifier, transport: this.#http.transportKind, protocol: this.#protocol?.name, error: error?.message },
        'client disconnected',
      );
    }
  }
}

function abortedIf(closed: boolean): AbortController {
  const controller = new AbortController();
  if (closed) controller.abort();
  return controller;
}
