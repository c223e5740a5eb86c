/**
 * Turns invocation messages into hub method calls — plain, streaming, with upload streams —
 * through the hub filters, and their outcomes into StreamItem and Completion messages.
 * @module
 */
import { authorize, type AuthorizationRequirement } from '../auth/authorization.js';
import { HubError, HubwireError } from '../core/errors.js';
import { FALLBACK_METHOD, InvocationErrorCode, UNKNOWN_METHOD } from '../core/instruments.js';
import type { Logger } from '../core/logger.js';
import { labelsWith, type MetricLabels, type Metrics } from '../core/metrics.js';
import { HubTracer, type TracedCall } from '../core/tracing.js';
import type { Presence } from '../lifetime/presence.js';
import { MessageType, type HubMessage, type InvocationMessage, type StreamInvocationMessage } from '../protocol/messages.js';
import * as texts from './error-messages.js';
import { fallbackHubMethod, isFallback, type FallbackMethod } from './fallback-method.js';
import type { GroupManager } from './group-manager.js';
import type { HubCallerClients } from './hub-clients.js';
import type { HubCallerContext } from './hub-caller-context.js';
import { composeFilters, type HubFilter, type HubInvocationContext, type HubLifetimeContext } from './hub-filter.js';
import { bindHub, type Hub } from './hub.js';
import { HubCall, type InvocationSlot } from './hub-call.js';
import type { HubMethod } from './method-table.js';
import { StreamCancellation } from './stream-cancellation.js';
import type { UploadStream } from './upload-stream.js';

/** The connection as the dispatcher needs it. */
export interface DispatchTarget {
  readonly connectionId: string;
  /** For log lines; undefined for anonymous connections. */
  readonly userIdentifier?: string | undefined;
  readonly context: HubCallerContext;
  readonly callerClients: HubCallerClients<unknown>;
  /** The clients `onConnected` gets: no client results there, as in ASP.NET. */
  readonly connectingClients: HubCallerClients<unknown>;
  /** Caller clients that call `releaseSlot` before waiting for a client result. */
  callerClientsReleasing(releaseSlot: () => void): HubCallerClients<unknown>;
  /**
   * Server streams running on this connection, by invocation id. CancelInvocation aborts one;
   * the end of the connection aborts them all.
   */
  readonly activeStreams: Map<string, StreamCancellation>;
  /** Sends one message to this connection only; throws HUB_ERR_SERIALIZATION. */
  write(message: HubMessage): void;
  /** Starts receiving the client's upload streams with these ids. */
  openUploads(streamIds: readonly string[]): UploadStream[];
  /** Ends them (the invocation is over); items arriving later are ignored. */
  closeUploads(streamIds: readonly string[]): void;
  /**
   * Undefined when the connection can take more output now; otherwise a promise that resolves
   * once its outbound backlog has drained enough (or the connection ended). Server streams wait on
   * it, so a fast producer slows down to a slow client instead of overflowing its buffer.
   */
  whenWritable(): Promise<void> | undefined;
}

/** What a dispatcher is built from (once per mapped hub). */
export interface HubDispatcherInit {
  readonly hubPath: string;
  /** The hub class's name, for span names and `rpc.service`; default: the hub path. */
  readonly hubName?: string;
  readonly methods: ReadonlyMap<string, HubMethod>;
  /** Runs Invocations of methods not in `methods` (mapHub's `fallbackMethod`). */
  readonly fallback?: FallbackMethod | undefined;
  readonly createHub: () => Hub<unknown>;
  /** Whether the hub class overrides the lifecycle hooks (when neither it nor a filter does, they are skipped). */
  readonly hooks: { readonly onConnected: boolean; readonly onDisconnected: boolean };
  readonly groups: GroupManager;
  /** The lifetime manager's presence, as `this.presence` in hubs. */
  readonly presence: Presence;
  readonly filters: readonly HubFilter[];
  /** Requirements of single methods, by lower-cased method name. */
  readonly methodAuthorization: ReadonlyMap<string, AuthorizationRequirement>;
  readonly detailedErrors: boolean;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly labels: MetricLabels;
}

type InvokeStep = (context: HubInvocationContext) => Promise<unknown>;

/** The label object of a method's invocations (`{ hub, method }`), built once per method. */
type MethodLabels = MetricLabels;

/** A method a plain Invocation may call directly (no stream, no requirement), with its labels: one lookup per call. */
interface DirectMethod {
  readonly method: HubMethod;
  readonly labels: MethodLabels;
}

/** The `code` label of a failed invocation: the Hubwire error code, `hub_error` or `exception`. */
function errorCodeOf(error: unknown): string {
  if (error instanceof HubwireError) return error.code;
  if (error instanceof HubError) return InvocationErrorCode.hubError;
  return InvocationErrorCode.exception;
}
type ConnectedStep = (context: HubLifetimeContext) => Promise<void>;
type DisconnectedStep = (context: HubLifetimeContext, error: Error | undefined) => Promise<void>;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/** Asks a producer to stop (its `finally` runs); a failure there has nowhere to go but away. */
function closeIterator(iterator: AsyncIterator<unknown> | undefined): void {
  try {
    const closing = iterator?.return?.();
    if (isThenable(closing)) closing.then(undefined, () => undefined);
  } catch {
    // The producer's cleanup threw; the stream is over either way.
  }
}

/** Runs hub methods and lifecycle hooks for one mapped hub. */
export class HubDispatcher {
  readonly #init: HubDispatcherInit;
  readonly #invoke: InvokeStep;
  readonly #onConnected: ConnectedStep;
  readonly #onDisconnected: DisconnectedStep;
  /** No filter wraps invocations: plain calls may skip the filter chain and its promises. */
  readonly #direct: boolean;
  // A connect with no hook to run costs one hub instance and no context object; a disconnect
  // with none costs nothing.
  readonly #runsOnConnected: boolean;
  readonly #runsOnDisconnected: boolean;
  /** `{ hub, method }` per method (by lower-cased name), and for names the hub does not have. */
  readonly #methodLabels = new Map<string, MethodLabels>();
  /** The methods of the direct path, by lower-cased name (empty when filters wrap invocations). */
  readonly #directMethods = new Map<string, DirectMethod>();
  readonly #unknownLabels: MethodLabels;
  /** One label for every call the fallback serves, whatever name the client sent. */
  readonly #fallbackLabels: MethodLabels;
  /** Durations are measured only when the metrics take histograms. */
  readonly #timed: boolean;
  readonly #tracer: HubTracer;

  constructor(init: HubDispatcherInit) {
    this.#init = init;
    this.#direct = !init.filters.some((filter) => filter.invokeMethod !== undefined);
    this.#runsOnConnected = init.hooks.onConnected || init.filters.some((filter) => filter.onConnected !== undefined);
    this.#runsOnDisconnected = init.hooks.onDisconnected || init.filters.some((filter) => filter.onDisconnected !== undefined);
    for (const [key, method] of init.methods) {
      const labels = labelsWith(init.labels, 'method', method.name);
      this.#methodLabels.set(key, labels);
      if (this.#direct && !method.isStreaming && !init.methodAuthorization.has(key)) this.#directMethods.set(key, { method, labels });
    }
    this.#unknownLabels = labelsWith(init.labels, 'method', UNKNOWN_METHOD);
    this.#fallbackLabels = labelsWith(init.labels, 'method', FALLBACK_METHOD);
    this.#timed = init.metrics.record !== undefined;
    const traced = [...init.methods.values()].map((method) => method.name);
    this.#tracer = new HubTracer(init.hubName || init.hubPath, init.fallback === undefined ? traced : [...traced, FALLBACK_METHOD]);
    // Filters are composed once here, not per call.
    const { filters } = init;
    // The innermost step: the hub method itself, looked up by the context's method name so a
    // filter may hand `next` a context object of its own.
    const callMethod: InvokeStep = async (context) => {
      const method = init.methods.get(context.methodName.toLowerCase());
      if (method === undefined && init.fallback !== undefined) return init.fallback.call(context.hub, context.methodName, context.arguments);
      if (method === undefined) throw new Error(`Hub method '${context.methodName}' does not exist.`);
      return method.fn.apply(context.hub, context.arguments);
    };
    this.#invoke = composeFilters(
      filters.flatMap((filter) => (filter.invokeMethod ? [filter.invokeMethod.bind(filter)] : [])),
      callMethod,
    );
    this.#onConnected = composeFilters(
      filters.flatMap((filter) => (filter.onConnected ? [filter.onConnected.bind(filter)] : [])),
      async (context) => context.hub.onConnected(),
    );
    this.#onDisconnected = composeFilters(
      filters.flatMap((filter) => (filter.onDisconnected ? [filter.onDisconnected.bind(filter)] : [])),
      async (context, error) => context.hub.onDisconnected(error),
    );
  }

  #hub(target: DispatchTarget, clients: HubCallerClients<unknown>): Hub<unknown> {
    const hub = this.#init.createHub();
    bindHub(hub, { context: target.context, clients, groups: this.#init.groups, presence: this.#init.presence });
    return hub;
  }

  /** A hub instance bound to one method call. */
  #callHub(call: HubCall): Hub<unknown> {
    const hub = this.#init.createHub();
    bindHub(hub, call);
    return hub;
  }

  /**
   * Runs `onConnected` through the filters; a throw propagates so the connection closes with an
   * error. With no hook to run the hub is still created once: ASP.NET activates it for
   * `OnConnectedAsync` whether or not it is overridden, so a hub that cannot be created fails the
   * connection at once instead of every later invocation.
   */
  async onConnected(target: DispatchTarget): Promise<void> {
    // Traced whether or not a hook runs: ASP.NET calls OnConnectedAsync (and traces it) always.
    const call = this.#tracer.connected();
    return call === undefined ? this.#connected(target) : call.run(() => this.#connected(target));
  }

  async #connected(target: DispatchTarget): Promise<void> {
    if (!this.#runsOnConnected) {
      this.#init.createHub();
      return;
    }
    const hub = this.#hub(target, target.connectingClients);
    await this.#onConnected({ hub, context: target.context, hubPath: this.#init.hubPath });
  }

  /** Runs `onDisconnected` through the filters; a throw is logged, never propagated. */
  async onDisconnected(target: DispatchTarget, error: Error | undefined): Promise<void> {
    const call = this.#tracer.disconnected();
    if (call === undefined) return this.#runsOnDisconnected ? this.#disconnected(target, error, undefined) : undefined;
    return call.run(() => this.#disconnected(target, error, call));
  }

  async #disconnected(target: DispatchTarget, error: Error | undefined, call: TracedCall | undefined): Promise<void> {
    if (!this.#runsOnDisconnected) return;
    try {
      const hub = this.#hub(target, target.callerClients);
      await this.#onDisconnected({ hub, context: target.context, hubPath: this.#init.hubPath }, error);
    } catch (failure) {
      call?.failed(failure);
      this.#init.logger.error({ hub: this.#init.hubPath, connectionId: target.connectionId, user: target.userIdentifier, err: failure }, 'onDisconnected threw');
    }
  }

  /**
   * Runs one Invocation or StreamInvocation. Blocking invocations get exactly one Completion
   * (streams: items, then one Completion); fire-and-forget ones get nothing back, even on error.
   * Returns undefined when the call finished synchronously (a plain method returning a value),
   * otherwise a promise that settles when it has finished; it never rejects.
   */
  invoke(target: DispatchTarget, message: InvocationMessage | StreamInvocationMessage, releaseSlot?: InvocationSlot): Promise<void> | undefined {
    // The common case — a plain call of a plain method, no filters, no method requirement — runs
    // without the filter chain and, for a synchronous method, without a single promise.
    if (this.#direct && message.type === MessageType.Invocation && (message.streamIds === undefined || message.streamIds.length === 0)) {
      const key = message.target.toLowerCase();
      const direct = this.#directMethods.get(key);
      if (direct !== undefined && message.arguments.length === direct.method.parameterCount) {
        const { method, labels } = direct;
        this.#init.metrics.increment('invocations', labels);
        const call = this.#tracer.invocation(key, message.headers);
        if (!this.#timed) return this.#tracedDirect(target, message, method, labels, releaseSlot, call);
        const started = performance.now();
        const running = this.#tracedDirect(target, message, method, labels, releaseSlot, call);
        if (running === undefined) {
          this.#timeEnd(labels, started);
          return undefined;
        }
        return running.then(() => this.#timeEnd(labels, started));
      }
    }
    return this.#invokeFull(target, message, releaseSlot);
  }

  #timeEnd(labels: MethodLabels, started: number): void {
    this.#init.metrics.record?.('invocationDuration', (performance.now() - started) / 1000, labels);
  }

  /** The direct call, in its span when tracing is on (still promise-free for a synchronous method without it). */
  #tracedDirect(
    target: DispatchTarget,
    message: InvocationMessage,
    method: HubMethod,
    labels: MethodLabels,
    releaseSlot: InvocationSlot | undefined,
    call: TracedCall | undefined,
  ): Promise<void> | undefined {
    if (call === undefined) return this.#invokeDirect(target, message, method, labels, releaseSlot, undefined);
    return call.run(() => this.#invokeDirect(target, message, method, labels, releaseSlot, call));
  }

  #invokeDirect(
    target: DispatchTarget,
    message: InvocationMessage,
    method: HubMethod,
    labels: MethodLabels,
    releaseSlot: InvocationSlot | undefined,
    call: TracedCall | undefined,
  ): Promise<void> | undefined {
    const hubCall = new HubCall(target, this.#init, message.invocationId, method.name, message.headers, releaseSlot);
    let result: unknown;
    try {
      result = method.fn.apply(this.#callHub(hubCall), message.arguments as unknown[]);
    } catch (error) {
      this.#methodFailed(target, message, method, labels, error, call);
      return undefined;
    }
    if (!isThenable(result)) {
      this.#completed(target, message, method, labels, result, call);
      return undefined;
    }
    return Promise.resolve(result).then(
      (value) => this.#completed(target, message, method, labels, value, call),
      (error: unknown) => this.#methodFailed(target, message, method, labels, error, call),
    );
  }

  /** A plain method returned `result`: one Completion for a blocking call. */
  #completed(target: DispatchTarget, message: InvocationMessage, method: HubMethod, labels: MethodLabels, result: unknown, call: TracedCall | undefined): void {
    const id = message.invocationId;
    if (isAsyncIterable(result) && !method.isStreaming) {
      // A plain method returned a stream: it is a streaming method the client called wrongly.
      closeIterator((result as AsyncIterable<unknown>)[Symbol.asyncIterator]());
      call?.failedAs(InvocationErrorCode.invalidInvocation);
      this.#fail(target, id, texts.streamingMethodInvoked(message.target), labels, InvocationErrorCode.invalidInvocation);
      return;
    }
    if (id === undefined) return;
    try {
      target.write({ type: MessageType.Completion, invocationId: id, hasResult: result !== undefined, result });
    } catch (error) {
      // The result cannot be serialized: the caller still gets its one Completion.
      call?.failed(error);
      this.#init.logger.warn(
        { hub: this.#init.hubPath, connectionId: target.connectionId, user: target.userIdentifier, method: method.name, err: error },
        'hub method result not serializable',
      );
      this.#fail(target, id, texts.invocationFailed(message.target, error, this.#init.detailedErrors), labels, errorCodeOf(error));
    }
  }

  #methodFailed(
    target: DispatchTarget,
    message: InvocationMessage | StreamInvocationMessage,
    method: HubMethod,
    labels: MethodLabels,
    error: unknown,
    call: TracedCall | undefined,
  ): void {
    call?.failed(error);
    this.#init.logger.warn({ hub: this.#init.hubPath, connectionId: target.connectionId, user: target.userIdentifier, method: method.name, err: error }, 'hub method failed');
    this.#fail(target, message.invocationId, texts.invocationFailed(message.target, error, this.#init.detailedErrors), labels, errorCodeOf(error));
  }

  async #invokeFull(target: DispatchTarget, message: InvocationMessage | StreamInvocationMessage, releaseSlot?: InvocationSlot): Promise<void> {
    const key = message.target.toLowerCase();
    const declared = this.#init.methods.get(key);
    // Only a plain Invocation falls back: a stream or an upload needs a declared method's shape.
    const { fallback } = this.#init;
    const fallsBack = declared === undefined && fallback !== undefined && message.type === MessageType.Invocation && (message.streamIds === undefined || message.streamIds.length === 0);
    const method = fallsBack ? fallbackHubMethod(fallback, message.target, message.arguments.length) : declared;
    const labels = method === undefined ? this.#unknownLabels : fallsBack ? this.#fallbackLabels : this.#methodLabels.get(key)!;
    this.#init.metrics.increment('invocations', labels);
    if (method === undefined) return this.#fail(target, message.invocationId, texts.methodDoesNotExist(message.target), labels, InvocationErrorCode.unknownMethod);
    if (!this.#timed) return this.#runFull(target, message, method, labels, releaseSlot);
    const started = performance.now();
    try {
      await this.#runFull(target, message, method, labels, releaseSlot);
    } finally {
      this.#timeEnd(labels, started);
    }
  }

  async #runFull(target: DispatchTarget, message: InvocationMessage | StreamInvocationMessage, method: HubMethod, labels: MethodLabels, releaseSlot: InvocationSlot | undefined): Promise<void> {
    const { detailedErrors } = this.#init;
    const streaming = message.type === MessageType.StreamInvocation;
    const id = message.invocationId;
    const invalid = InvocationErrorCode.invalidInvocation;
    const streamIds = message.streamIds ?? [];
    let args = message.arguments;
    // Trailing optional parameters left out (never with upload streams: their slots are positional).
    if (streamIds.length === 0 && args.length >= method.requiredCount && args.length < method.parameterCount) {
      args = [...args, ...new Array<undefined>(method.parameterCount - args.length)];
    }
    if (args.length + streamIds.length !== method.parameterCount) {
      return this.#fail(
        target,
        id,
        streamIds.length > 0
          ? texts.streamCountMismatch(message.target, streamIds.length, Math.max(0, method.parameterCount - args.length))
          : texts.argumentCountMismatch(message.target, args.length, method.parameterCount, detailedErrors),
        labels,
        invalid,
      );
    }
    // The kind of call is checked against what the method is declared to be, before it runs.
    if (!streaming && method.isStreaming) return this.#fail(target, id, texts.streamingMethodInvoked(message.target), labels, invalid);
    if (streaming && !method.isStreaming) return this.#fail(target, id, texts.nonStreamingMethodStreamed(message.target), labels, invalid);

    // A stream is registered before anything awaits, so a CancelInvocation right behind it (in the
    // same read) finds it; plain calls share the connection's signal and cost no controller.
    let cancellation: StreamCancellation | undefined;
    if (streaming) {
      if (target.activeStreams.has(message.invocationId)) return this.#fail(target, id, texts.invocationIdInUse(message.invocationId), labels, invalid);
      cancellation = new StreamCancellation();
      target.activeStreams.set(message.invocationId, cancellation);
      if (target.context.connectionAborted.aborted) cancellation.abort();
    }
    const key = message.target.toLowerCase();
    const requirement = this.#init.methodAuthorization.get(key);
    if (requirement !== undefined && (await authorize(requirement, target.context.user)) !== 'allowed') {
      if (streaming) target.activeStreams.delete(message.invocationId);
      return this.#fail(target, id, texts.unauthorized(message.target), labels, InvocationErrorCode.unauthorized);
    }
    // The span covers what ASP.NET's does: the method (through the filters) and its stream, once
    // the call has been checked and authorized.
    const call = this.#tracer.invocation(isFallback(method) ? FALLBACK_METHOD.toLowerCase() : key, message.headers);
    if (call === undefined) return this.#execute(target, message, method, labels, releaseSlot, args, cancellation, undefined);
    return call.run(() => this.#execute(target, message, method, labels, releaseSlot, args, cancellation, call));
  }

  /** Runs a checked, authorized call: the hub method through the filters, then its Completion or its stream. */
  async #execute(
    target: DispatchTarget,
    message: InvocationMessage | StreamInvocationMessage,
    method: HubMethod,
    labels: MethodLabels,
    releaseSlot: InvocationSlot | undefined,
    args: readonly unknown[],
    cancellation: StreamCancellation | undefined,
    call: TracedCall | undefined,
  ): Promise<void> {
    const streaming = message.type === MessageType.StreamInvocation;
    const id = message.invocationId;
    const streamIds = message.streamIds ?? [];
    // A method holding an invocation slot gives it back while it awaits a client result, so the
    // connection can go on reading (ASP.NET does the same; otherwise parallelism 1 deadlocks).
    const hubCall = new HubCall(target, this.#init, id, method.name, message.headers, releaseSlot, cancellation);
    const uploads = streamIds.length > 0 ? target.openUploads(streamIds) : [];

    let result: unknown;
    try {
      const state: HubInvocationContext = {
        hub: this.#callHub(hubCall),
        context: target.context,
        hubPath: this.#init.hubPath,
        methodName: method.name,
        arguments: uploads.length > 0 ? [...args, ...uploads] : (args as unknown[]),
        invocationId: id,
        headers: message.headers,
        get signal() {
          return hubCall.signal;
        },
      };
      result = await this.#invoke(state);
    } catch (error) {
      if (streaming) target.activeStreams.delete(message.invocationId);
      return this.#methodFailed(target, message, method, labels, error, call);
    } finally {
      if (streamIds.length > 0 && !streaming) target.closeUploads(streamIds);
    }

    if (streaming) {
      try {
        if (!isAsyncIterable(result)) {
          call?.failedAs(InvocationErrorCode.invalidInvocation);
          return this.#fail(target, id, texts.notAStream(method.name), labels, InvocationErrorCode.invalidInvocation);
        }
        await this.#stream(target, message.invocationId, result, cancellation!, labels, call);
      } finally {
        target.activeStreams.delete(message.invocationId);
        if (streamIds.length > 0) target.closeUploads(streamIds);
      }
      return;
    }
    this.#completed(target, message, method, labels, result, call);
  }

  /**
   * Sends each item as a StreamItem, then one Completion (with an error if the producer failed).
   * The producer is always asked for its first item, even when the stream was cancelled before it
   * started: that call is what starts an `async *` method's body, which then sees its signal abort
   * and runs its `finally` (ASP.NET likewise always calls the first `MoveNextAsync`).
   */
  async #stream(
    target: DispatchTarget,
    invocationId: string,
    items: AsyncIterable<unknown>,
    cancellation: StreamCancellation,
    labels: MethodLabels,
    call: TracedCall | undefined,
  ): Promise<void> {
    const { signal } = cancellation;
    let iterator: AsyncIterator<unknown> | undefined;
    // Cancel promptly even while the producer is waiting for its next item.
    const onAbort = () => closeIterator(iterator);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      iterator = items[Symbol.asyncIterator]();
      for (let first = true; ; first = false) {
        if (!cancellation.requested) {
          const backlog = target.whenWritable();
          if (backlog !== undefined) await backlog;
        }
        if (!first && signal.aborted) break;
        const next = iterator.next();
        if (first) cancellation.started();
        const step = await next;
        if (step.done || signal.aborted) break;
        target.write({ type: MessageType.StreamItem, invocationId, item: step.value });
      }
    } catch (error) {
      if (!signal.aborted) {
        call?.failed(error);
        this.#init.logger.warn({ hub: this.#init.hubPath, connectionId: target.connectionId, user: target.userIdentifier, err: error }, 'stream failed');
        this.#fail(target, invocationId, texts.streamFailed(error, this.#init.detailedErrors), labels, errorCodeOf(error));
        return;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (signal.aborted) closeIterator(iterator);
    // Cancellation is not an error: the Completion carries none (the client has forgotten the id).
    this.#write(target, { type: MessageType.Completion, invocationId, hasResult: false });
  }

  #write(target: DispatchTarget, message: HubMessage): void {
    try {
      target.write(message);
    } catch (error) {
      this.#init.logger.error({ hub: this.#init.hubPath, connectionId: target.connectionId, user: target.userIdentifier, err: error }, 'write failed');
    }
  }

  #fail(target: DispatchTarget, invocationId: string | undefined, error: string, labels: MethodLabels, code: string): void {
    this.#init.metrics.increment('invocationErrors', labelsWith(labels, 'code', code));
    if (invocationId !== undefined) this.#write(target, { type: MessageType.Completion, invocationId, hasResult: false, error });
  }
}
