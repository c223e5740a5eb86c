/**
 * The hub-level half of a connection: handshake, inbound parsing and in-order dispatch,
 * outbound writes under the slow-consumer policy, keep-alive and timeouts, and close.
 * @module
 */
import type { Clock } from '../core/clock.js';
import { HubwireError, type ProtocolError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { MetricLabels, Metrics } from '../core/metrics.js';
import type { HttpConnection, Principal, TransportResumer } from '../connections/http-connection.js';
import type { ClientResultOptions, HubLifetimeManager, LifetimeConnection } from '../lifetime/hub-lifetime-manager.js';
import type { RateLimiter, RateLimitRefusal } from '../limits/rate-limits.js';
import type { HubProtocol } from '../protocol/hub-protocol.js';
import { HANDSHAKE_SUCCESS, handshakeErrorResponse } from '../protocol/handshake.js';
import { MessageType, isTrackable, type CloseMessage, type HubMessage } from '../protocol/messages.js';
import { serialize, type SerializedMessage } from '../protocol/serialized-message.js';
import type { Transport, TransportEvents } from '../transports/transport.js';
import * as texts from './error-messages.js';
import type { HubCallerClients } from './hub-clients.js';
import type { HubCallerContext } from './hub-caller-context.js';
import { ClientResults } from './client-results.js';
import type { DispatchTarget, HubDispatcher } from './hub-dispatcher.js';
import type { StreamCancellation } from './stream-cancellation.js';
import { ConnectionInput, type InputHandler } from './connection-input.js';
import { ConnectionOutput } from './connection-output.js';
import { SendWatch } from './send-watch.js';
import { acceptHandshake } from './handshake-acceptor.js';
import { UploadStream } from './upload-stream.js';
import type { ResolvedHubOptions } from './hub-options.js';
import { createHubCallerClients } from './hub-clients.js';

/** What the mapped hub provides to each of its connections. */
export interface HubConnectionHost {
  readonly path: string;
  readonly options: ResolvedHubOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly labels: MetricLabels;
  readonly dispatcher: HubDispatcher;
  readonly lifetime: HubLifetimeManager;
  /** The hub's rate limits (the invocation limits are checked here). */
  readonly rateLimiter: RateLimiter;
  /** The connection has ended: forget its token and stop ticking it. Called once. */
  connectionEnded(connection: HubConnection): void;
}

/** Where a hub connection is in its life. */
export type HubConnectionState = 'handshaking' | 'connecting' | 'connected' | 'closed';

/** How a connection ends. */
interface EndOptions {
  /** A Close message to send before closing the transport. */
  readonly close?: CloseMessage;
  /** Drop the transport at once instead of letting queued bytes go out. */
  readonly abort?: boolean;
  /** What `onDisconnected` receives. */
  readonly error?: Error;
}

const PING: HubMessage = { type: MessageType.Ping };
// How often a server stream held back by a slow client looks at the backlog again.
const BACKLOG_POLL_MS = 5;

/** One client's connection to one hub, from handshake to close. */
export class HubConnection implements LifetimeConnection, TransportEvents, DispatchTarget, TransportResumer {
  readonly connectionId: string;
  readonly userIdentifier: string | undefined;
  readonly #http: HttpConnection;
  readonly #host: HubConnectionHost;
  // Created on first use: thousands of idle connections should cost as little memory as possible.
  #context: HubCallerContext | undefined;
  #callerClients: HubCallerClients<unknown> | undefined;
  #connectingClients: HubCallerClients<unknown> | undefined;
  #activeStreams: Map<string, StreamCancellation> | undefined;
  #uploads: Map<string, UploadStream> | undefined;
  #results: ClientResults | undefined;
  readonly #output: ConnectionOutput;
  /** Bumped for every transport attached, so events of a replaced transport are ignored. */
  #transportGeneration = 0;
  #aborted: AbortController | undefined;
  #transportClosed = false;
  #closedPromise: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;
  #state: HubConnectionState = 'handshaking';
  #protocol: HubProtocol | undefined;
  /** Received bytes that do not make a whole handshake yet. */
  #handshakeBytes: Buffer | undefined;
  readonly #input: ConnectionInput;
  #runningInvocations = 0;
  /** Invocations dispatched and not finished (streams excluded: closing cancels them). */
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];
  /** Shutting down: new invocations are refused, running ones may finish. */
  #draining = false;
  #hubConnected = false;
  readonly #startedAt: number;
  #lastReceivedAt: number;
  #lastWrittenAt: number;
  // Flags instead of timestamps on the hot paths: the heartbeat turns them into times.
  #receivedSinceTick = false;
  #clientPinged = false;
  /** Created the first time the transport is seen backed up. */
  #sendWatch: SendWatch | undefined;

  constructor(http: HttpConnection, host: HubConnectionHost) {
    this.#http = http;
    this.#host = host;
    this.connectionId = http.connectionId;
    this.userIdentifier = http.principal?.userIdentifier;
    this.#startedAt = this.#lastReceivedAt = this.#lastWrittenAt = host.clock.now();
    this.#output = new ConnectionOutput(http, host.options.maximumOutboundBufferSize, (buffered) => this.#slowConsumer(buffered));
    this.#input = new ConnectionInput(this.#inputHandler(), host.options.maximumReceiveMessageSize);
  }

  #inputHandler(): InputHandler {
    const connection = this;
    return {
      get accepting() {
        return connection.#state === 'connected';
      },
      intercept: (message) => this.#intercept(message),
      ready: (message) => this.#ready(message),
      handle: (message) => this.#handle(message),
      protocolError: (error) => this.#protocolError(error),
      pause: () => this.#http.transport?.pause?.(),
      resume: () => this.#http.transport?.resume?.(),
    };
  }

  /** What hub methods see as `this.context`. */
  get context(): HubCallerContext {
    if (this.#context !== undefined) return this.#context;
    const connection = this;
    const http = this.#http;
    let items: Map<unknown, unknown> | undefined;
    this.#context = {
      connectionId: http.connectionId,
      userIdentifier: this.userIdentifier,
      user: http.principal,
      get items() {
        return (items ??= new Map());
      },
      // Read through: stateful reconnect replaces the request with the new WebSocket's.
      get request() {
        return http.request;
      },
      transport: http.transportKind ?? 'WebSockets',
      get protocol() {
        return connection.#protocol?.name ?? '';
      },
      get connectionAborted() {
        return (connection.#aborted ??= abortedIf(connection.#state === 'closed')).signal;
      },
      abort: () => connection.abort(),
    };
    return this.#context;
  }

  /** What hub methods see as `this.clients`. */
  get callerClients(): HubCallerClients<unknown> {
    return (this.#callerClients ??= createHubCallerClients(this.#host.lifetime, this.connectionId, {
      timeout: this.#host.options.clientResultTimeout,
      allowed: true,
    }));
  }

  /** What `onConnected` sees as `this.clients`: client results are not allowed there. */
  get connectingClients(): HubCallerClients<unknown> {
    return (this.#connectingClients ??= createHubCallerClients(this.#host.lifetime, this.connectionId, { timeout: 0, allowed: false }));
  }

  callerClientsReleasing(releaseSlot: () => void): HubCallerClients<unknown> {
    return createHubCallerClients(this.#host.lifetime, this.connectionId, {
      timeout: this.#host.options.clientResultTimeout,
      allowed: true,
      beforeWait: releaseSlot,
    });
  }

  /** Server streams running on this connection. */
  get activeStreams(): Map<string, StreamCancellation> {
    return (this.#activeStreams ??= new Map());
  }

  openUploads(streamIds: readonly string[]): UploadStream[] {
    const uploads = (this.#uploads ??= new Map());
    const capacity = this.#host.options.streamBufferCapacity;
    return streamIds.map((streamId) => {
      const stream = new UploadStream(streamId, capacity, () => this.#input.pump());
      uploads.set(streamId, stream);
      return stream;
    });
  }

  closeUploads(streamIds: readonly string[]): void {
    for (const streamId of streamIds) {
      this.#uploads?.get(streamId)?.end();
      this.#uploads?.delete(streamId);
    }
    // Input may have been held up by one of these streams being full.
    this.#input.pump();
  }

  /** Invokes a client method and waits for its Completion (client results). */
  invokeClient(target: string, args: readonly unknown[], options: ClientResultOptions): Promise<unknown> {
    if (this.#state === 'closed') {
      return Promise.reject(new HubwireError('HUB_ERR_CLIENT_RESULT', `Connection '${this.connectionId}' disconnected.`));
    }
    const results = (this.#results ??= new ClientResults(this.connectionId, this.#host.clock));
    const { invocationId, result } = results.start(options);
    // Already canceled: the call failed without being registered, and the client must not see it.
    if (!results.has(invocationId)) return result;
    try {
      this.write({ type: MessageType.Invocation, invocationId, target, arguments: args });
    } catch (error) {
      results.fail(invocationId, error instanceof Error ? error : new Error(String(error)));
    }
    return result;
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
    return {
      onData: (chunk) => {
        if (generation === this.#transportGeneration) this.onData(chunk);
      },
      onClose: (graceful) => {
        if (generation === this.#transportGeneration) this.onClose(graceful);
      },
    };
  }

  /** Stateful reconnect: the client's new WebSocket takes over; it is sent Sequence, then the replay. */
  resume(attach: (events: TransportEvents) => Transport): boolean {
    if (this.#output.replay === undefined || this.#state === 'closed' || this.#state === 'handshaking') return false;
    const previous = this.#http.transport;
    const transport = attach(this.transportEvents());
    this.#http.transport = transport;
    this.#http.awaitingResumeSince = undefined;
    previous?.abort();
    const replayed = this.#output.replayTo(transport, (sequenceId) => this.#protocol!.write({ type: MessageType.Sequence, sequenceId }));
    this.#host.metrics.increment('transportsResumed', this.#host.labels);
    this.#host.logger.info({ hub: this.#host.path, connectionId: this.connectionId, replayed }, 'client resumed (stateful reconnect)');
    return true;
  }

  // ---- inbound -------------------------------------------------------------------------------

  onData(chunk: Buffer): void {
    if (this.#state === 'closed') return;
    this.#receivedSinceTick = true;
    if (this.#state !== 'handshaking') {
      this.#input.push(chunk);
      return;
    }
    const input = this.#handshakeBytes === undefined ? chunk : Buffer.concat([this.#handshakeBytes, chunk]);
    this.#handshakeBytes = undefined;
    this.#handshake(input);
  }

  onClose(graceful: boolean): void {
    if (this.#output.replay !== undefined && !graceful && (this.#state === 'connected' || this.#state === 'connecting')) {
      // Stateful reconnect: keep everything and wait up to disconnectTimeout for the client.
      this.#http.transport = undefined;
      this.#http.awaitingResumeSince = this.#host.clock.now();
      this.#host.metrics.increment('transportsLost', this.#host.labels);
      this.#host.logger.info({ hub: this.#host.path, connectionId: this.connectionId }, 'transport lost; waiting for the client to resume');
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
      this.#failHandshake(outcome.error);
      return;
    }
    const { protocol, version, consumed } = outcome;
    this.#protocol = protocol;
    this.#output.binary = protocol.transferFormat === 'Binary';
    // Version 2 over WebSockets on a connection that negotiated it turns stateful reconnect on;
    // version 1 turns it off (as ASP.NET).
    if (this.#http.statefulReconnect && version >= 2 && this.#http.transportKind === 'WebSockets') {
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

  #failHandshake(error: string): void {
    const { logger, metrics, labels, path } = this.#host;
    metrics.increment('handshakeFailures', labels);
    logger.warn({ hub: path, connectionId: this.connectionId, error }, 'handshake failed');
    this.#state = 'closed';
    const transport = this.#http.transport;
    transport?.send(handshakeErrorResponse(error), false);
    if (transport === undefined) this.#markTransportClosed();
    else transport.close();
    this.#host.connectionEnded(this);
    this.#aborted?.abort();
  }

  async #connect(): Promise<void> {
    const { lifetime, dispatcher, options, logger, metrics, labels, path } = this.#host;
    try {
      await lifetime.onConnected(this);
      if (this.#state !== 'connecting') return;
      await dispatcher.onConnected(this);
    } catch (error) {
      logger.error({ hub: path, connectionId: this.connectionId, err: error }, 'onConnected threw; closing the connection');
      this.#end({
        close: { type: MessageType.Close, error: texts.connectionClosedWithError(error, options.enableDetailedErrors) },
        error: error instanceof Error ? error : new Error(String(error)),
      });
      return;
    }
    if (this.#state !== 'connecting') return;
    this.#hubConnected = true;
    this.#state = 'connected';
    metrics.increment('connectionsOpened', labels);
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
    this.#host.metrics.increment('messagesReceived', this.#host.labels);
    if (this.#output.replay !== undefined && !this.#sequence(message)) return true;
    if (message.type === MessageType.Completion && this.#isClientResult(message.invocationId)) {
      this.#results!.complete(message);
      return true;
    }
    return false;
  }

  /**
   * Checks the invocation limits. Over a limit, a blocking call gets an error Completion and a
   * fire-and-forget one, which has nowhere to carry an error, closes the connection with an
   * error Close (with allowReconnect, so a well-behaved client backs off and comes back). In
   * dry-run mode the call goes ahead and is only counted and logged. Returns true when refused.
   */
  #rateLimited(target: string, invocationId: string | undefined): boolean {
    const { rateLimiter, metrics, labels, logger, path, clock, options } = this.#host;
    const refusal = rateLimiter.invocation(this.connectionId, this.userIdentifier, target.toLowerCase(), clock.now());
    if (refusal === undefined) return false;
    const counterLabels = { ...labels, limit: refusal.limit };
    const fields = { hub: path, connectionId: this.connectionId, user: this.userIdentifier, method: target, limit: refusal.limit, clientAddress: this.#http.clientAddress };
    if (rateLimiter.dryRun) {
      metrics.increment('rateLimitedDryRun', counterLabels);
      logger.warn(fields, 'rate limit exceeded (dry run: let through)');
      return false;
    }
    metrics.increment('rateLimited', counterLabels);
    if (invocationId) {
      logger.debug(fields, 'invocation rate limited');
      this.write({ type: MessageType.Completion, invocationId, hasResult: false, error: texts.rateLimited(target, refusal.retryAfterMs) });
    } else {
      logger.warn(fields, 'fire-and-forget invocation over its rate limit; closing the connection');
      this.#end({ close: { type: MessageType.Close, error: texts.rateLimitClose(refusal, options.enableDetailedErrors), allowReconnect: true } });
    }
    return true;
  }

  /** A stream id of `streamIds` that is open already or named twice, if any. */
  #reusedStreamId(streamIds: readonly string[]): string | undefined {
    for (let i = 0; i < streamIds.length; i++) {
      const id = streamIds[i]!;
      if (this.#uploads?.has(id) || streamIds.indexOf(id) !== i) return id;
    }
    return undefined;
  }

  /** Whether the next message in line can be handled now. */
  #ready(message: HubMessage): boolean {
    // Head-of-line blocking as in ASP.NET: with no free slot, everything behind waits too.
    if (takesSlot(message) && this.#runningInvocations >= this.#host.options.maximumParallelInvocationsPerClient) return false;
    // An upload stream whose buffer is full holds up input until the method reads.
    if (message.type === MessageType.StreamItem && this.#uploads?.get(message.invocationId)?.isFull) return false;
    return true;
  }

  #protocolError(error: ProtocolError): void {
    const { metrics, labels, options } = this.#host;
    metrics.increment('protocolErrors', labels);
    this.#host.logger.warn({ hub: this.#host.path, connectionId: this.connectionId, error: error.message }, 'protocol error; closing the connection');
    this.#end({
      close: { type: MessageType.Close, error: texts.connectionClosedWithError(error, options.enableDetailedErrors), allowReconnect: true },
      error,
    });
  }

  /**
   * Stateful reconnect on the inbound side: applies Ack and Sequence messages and drops trackable
   * messages the client replayed but we had processed. Returns whether `message` goes on.
   */
  #sequence(message: HubMessage): boolean {
    const replay = this.#output.replay!;
    switch (message.type) {
      case MessageType.Ack:
        this.#output.acknowledge(message.sequenceId);
        return false;
      case MessageType.Sequence:
        try {
          replay.resetSequence(message.sequenceId);
        } catch (error) {
          this.#protocolError(error as ProtocolError);
        }
        return false;
      default:
        return !isTrackable(message) || replay.receive();
    }
  }

  /** Upload streams are looked up first, as ASP.NET does: their ids are the client's. */
  #isClientResult(invocationId: string): boolean {
    return this.#results !== undefined && !this.#uploads?.has(invocationId) && this.#results.has(invocationId);
  }

  #handle(message: HubMessage): void {
    const { dispatcher, logger, path } = this.#host;
    switch (message.type) {
      case MessageType.Invocation:
      case MessageType.StreamInvocation: {
        if (this.#draining) {
          if (message.invocationId) this.write({ type: MessageType.Completion, invocationId: message.invocationId, hasResult: false, error: texts.shuttingDown() });
          return;
        }
        if (this.#host.rateLimiter.limitsInvocations && this.#rateLimited(message.target, message.invocationId)) return;
        const reused = message.streamIds === undefined ? undefined : this.#reusedStreamId(message.streamIds);
        if (reused !== undefined) {
          // A second stream under an open id would orphan the first one's method.
          if (message.invocationId) this.write({ type: MessageType.Completion, invocationId: message.invocationId, hasResult: false, error: texts.streamIdInUse(message.target, reused) });
          return;
        }
        const counted = message.type === MessageType.Invocation;
        if (counted) this.#inFlight++;
        let releaseSlot: (() => void) | undefined;
        let held = false;
        if (takesSlot(message)) {
          this.#runningInvocations++;
          held = true;
          releaseSlot = () => {
            if (!held) return;
            held = false;
            this.#runningInvocations--;
            // Re-entrant calls (a slot given back synchronously) only mark more work for the
            // pump already running, so the stack does not grow with the queue.
            this.#input.pump();
          };
        }
        let running: Promise<void> | undefined;
        try {
          running = dispatcher.invoke(this, message, releaseSlot);
        } catch (error) {
          // The dispatcher never throws by contract; if it does, the slot still comes back.
          logger.error({ hub: path, connectionId: this.connectionId, err: error }, 'dispatch failed');
          running = undefined;
        }
        if (running === undefined) {
          // Finished synchronously: free the slot without pumping again; the pump that called
          // us goes on with the next message.
          if (held) {
            held = false;
            this.#runningInvocations--;
          }
          if (counted) this.#invocationDone();
          return;
        }
        running
          .catch((error: unknown) => logger.error({ hub: path, connectionId: this.connectionId, err: error }, 'dispatch failed'))
          .finally(() => {
            if (counted) this.#invocationDone();
            releaseSlot?.();
          });
        return;
      }
      case MessageType.StreamItem:
        this.#uploads?.get(message.invocationId)?.push(message.item);
        return;
      case MessageType.Completion: {
        const upload = this.#uploads?.get(message.invocationId);
        if (upload !== undefined) {
          upload.end(message.error);
          this.#uploads!.delete(message.invocationId);
        } else if (this.#results?.has(message.invocationId)) {
          this.#results.complete(message);
        }
        return;
      }
      case MessageType.CancelInvocation:
        this.#activeStreams?.get(message.invocationId)?.abort();
        return;
      case MessageType.Ping:
        this.#clientPinged = true;
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
    const highWater = this.#host.options.maximumOutboundBufferSize / 2;
    const backlog = () => this.#http.transport?.bufferedAmount ?? 0;
    if (this.#state === 'closed' || backlog() < highWater) return undefined;
    // Transports report no drain event, so look again every few milliseconds; this only runs
    // while a stream is held back by a slow client.
    return new Promise((resolve) => {
      const check = () => {
        if (this.#state === 'closed' || backlog() < highWater / 2) resolve();
        else setTimeout(check, BACKLOG_POLL_MS).unref();
      };
      setTimeout(check, BACKLOG_POLL_MS).unref();
    });
  }

  #invocationDone(): void {
    this.#inFlight--;
    if (this.#inFlight === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  /**
   * Shutdown: refuse new invocations (their callers get `The server is shutting down.`) and
   * resolve once the running ones have finished.
   */
  drain(): Promise<void> {
    this.#draining = true;
    if (this.#inFlight === 0 || this.#state === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
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
    this.#output.sendTrackable(message.get(this.#protocol!));
  }

  #slowConsumer(buffered: number): void {
    const { logger, metrics, labels, path, options } = this.#host;
    metrics.increment('slowConsumerDisconnects', labels);
    logger.warn(
      { hub: path, connectionId: this.connectionId, bufferedBytes: buffered, limit: options.maximumOutboundBufferSize },
      'slow consumer: outbound buffer full; closing the connection',
    );
    this.#end({ abort: true, error: new HubwireError('HUB_ERR_SLOW_CONSUMER', 'The outbound buffer overflowed.') });
  }

  // ---- time ----------------------------------------------------------------------------------

  /** Called by the heartbeat about once a second: pings, client timeout, handshake timeout. */
  tick(now: number): void {
    const { options } = this.#host;
    if (this.#state === 'handshaking') {
      if (now - this.#startedAt >= options.handshakeTimeout) this.#failHandshake('Handshake was canceled.');
      return;
    }
    const lostAt = this.#http.awaitingResumeSince;
    if (lostAt !== undefined) {
      if (now - lostAt >= options.disconnectTimeout) this.#end({ error: new Error('The client did not resume its connection within disconnectTimeout.') });
      return;
    }
    if (this.#state !== 'connected') return;
    if (options.closeOnAuthenticationExpiration && this.#authenticationExpired(now)) return;
    const transport = this.#http.transport;
    if (transport === undefined || transport.inherentKeepAlive) return;
    if (options.transportSendTimeout > 0) {
      const buffered = transport.bufferedAmount;
      if (buffered > 0 || this.#sendWatch !== undefined) {
        const waited = (this.#sendWatch ??= new SendWatch(options.transportSendTimeout)).check(now, this.#output.written, buffered);
        if (waited !== undefined) {
          this.#sendTimedOut(buffered, waited);
          return;
        }
      }
    }
    const ack = this.#output.replay?.ackDue();
    if (ack !== undefined) this.write({ type: MessageType.Ack, sequenceId: ack });
    if (this.#output.wroteSinceTick) {
      this.#output.wroteSinceTick = false;
      this.#lastWrittenAt = now;
    } else if (now - this.#lastWrittenAt >= options.keepAliveInterval) {
      this.write(PING);
      this.#output.wroteSinceTick = false;
      this.#lastWrittenAt = now;
    }
    // Silence the server caused (input waiting for dispatch, reading paused) is not the
    // client's: ASP.NET stops the client timeout while it dispatches.
    if (this.#receivedSinceTick || this.#input.behind) {
      this.#receivedSinceTick = false;
      this.#lastReceivedAt = now;
    } else if (this.#clientPinged && now - this.#lastReceivedAt >= options.clientTimeoutInterval) {
      this.#timeOut();
    }
  }

  /** ASP.NET's TransportSendTimeout: the client stopped reading; drop it rather than buffer for it. */
  #sendTimedOut(buffered: number, waited: number): void {
    const { metrics, labels, logger, path } = this.#host;
    metrics.increment('sendTimeouts', labels);
    logger.warn({ hub: path, connectionId: this.connectionId, bufferedBytes: buffered, waitedMs: waited }, 'send timed out: the client stopped reading; closing the connection');
    this.#end({ abort: true, error: new HubwireError('HUB_ERR_SEND_TIMEOUT', `A send did not complete within ${this.#host.options.transportSendTimeout} ms.`) });
  }

  /** closeOnAuthenticationExpiration: a Close with allowReconnect and no error, as ASP.NET sends. */
  #authenticationExpired(now: number): boolean {
    const expiresAt = expiryOf(this.#http.principal);
    if (expiresAt === undefined || now < expiresAt) return false;
    const { metrics, labels, logger, path } = this.#host;
    metrics.increment('authenticationExpired', labels);
    logger.info({ hub: path, connectionId: this.connectionId, user: this.userIdentifier }, 'access token expired; closing the connection');
    this.#end({ close: { type: MessageType.Close, allowReconnect: true }, error: new HubwireError('HUB_ERR_AUTH_EXPIRED', 'The access token expired.') });
    return true;
  }

  #timeOut(): void {
    const { metrics, labels, logger, path, options } = this.#host;
    const error = new HubwireError('HUB_ERR_CLIENT_TIMEOUT', "Client hasn't sent a message/ping within the configured ClientTimeoutInterval.", {
      typeName: 'OperationCanceledException',
    });
    metrics.increment('clientTimeouts', labels);
    logger.warn({ hub: path, connectionId: this.connectionId }, 'client timed out');
    this.#end({ close: { type: MessageType.Close, error: texts.connectionClosedWithError(error, options.enableDetailedErrors), allowReconnect: true }, error });
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

  #end(options: EndOptions): void {
    if (this.#state === 'closed') return;
    const wasRegistered = this.#state !== 'handshaking';
    this.#state = 'closed';
    this.#http.resumer = undefined;
    this.#http.awaitingResumeSince = undefined;
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
    for (const controller of this.#activeStreams?.values() ?? []) controller.abort();
    for (const upload of this.#uploads?.values() ?? []) upload.end('The connection was closed.');
    this.#results?.disconnected();
    for (const wake of this.#idleWaiters.splice(0)) wake();
    if (wasRegistered) void this.#disconnect(options.error);
  }

  async #disconnect(error: Error | undefined): Promise<void> {
    const { dispatcher, lifetime, logger, metrics, labels, path } = this.#host;
    // Leave the caller's stack first: #end can run in the middle of a broadcast's loop.
    await Promise.resolve();
    try {
      if (this.#hubConnected) await dispatcher.onDisconnected(this, error);
    } finally {
      await lifetime.onDisconnected(this);
      if (this.#hubConnected) metrics.increment('connectionsClosed', labels);
      logger.info(
        { hub: path, connectionId: this.connectionId, user: this.userIdentifier, transport: this.#http.transportKind, protocol: this.#protocol?.name, error: error?.message },
        'client disconnected',
      );
    }
  }
}

/** When a user's proof of identity runs out: `expiresAt`, else a numeric JWT `exp` claim (seconds). */
function expiryOf(principal: Principal | undefined): number | undefined {
  if (principal === undefined) return undefined;
  if (principal.expiresAt !== undefined) return principal.expiresAt;
  const exp = principal.claims['exp'];
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
}

function abortedIf(closed: boolean): AbortController {
  const controller = new AbortController();
  if (closed) controller.abort();
  return controller;
}

/** Plain invocations take an invocation slot; streams and invocations with uploads do not (ASP.NET). */
function takesSlot(message: HubMessage): boolean {
  return message.type === MessageType.Invocation && (message.streamIds === undefined || message.streamIds.length === 0);
}
