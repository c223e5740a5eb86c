/**
 * `connectHub()`: an official `HubConnection` with typed proxies, a connection state to watch,
 * reconnects that never give up (the first start included), and recoverable group subscriptions.
 * @module
 */
import {
  AbortError,
  HubConnectionBuilder,
  HubConnectionState,
  HttpTransportType,
  JsonHubProtocol,
  type HubConnection,
  type IHttpConnectionOptions,
  type IHubProtocol,
  type InvocationMessage,
  type IRetryPolicy,
  type IStatefulReconnectOptions,
  LogLevel,
} from '@microsoft/signalr';
import { loggerFor, transportWatchingLogger, type TransportName } from './client-logger.js';
import { lazyStream } from './hub-stream.js';
import { DROPPED_TARGET, watchInvocations } from './position-protocol.js';
import { positionArgument } from './positions.js';
import type { DynamicMethods, HandlerProxy, InvokeProxy, SendProxy, ServerShape, StreamProxy, Unsubscribe } from './proxy-types.js';
import { retrySchedule, type RetrySchedule } from './retry-schedule.js';
import { GroupSubscription, type Subscription, type SubscriptionHost, type SubscriptionOptions } from './subscription.js';

/** The connection's state, as handlers and UIs see it. */
export type HubState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting';

/** A state change. */
export interface StateChange {
  readonly previous: HubState;
  /** Why the connection was lost or closed, when it was. */
  readonly error?: Error;
}

/** The timer functions the start retries run on (tests pass their own). */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Options of {@link connectHub}: the official client's `IHttpConnectionOptions` (transport,
 * `accessTokenFactory` — called again for every connect and reconnect —, headers, `logger`, …)
 * and these.
 */
export interface HubClientOptions extends IHttpConnectionOptions {
  /** The hub protocol, e.g. `new MessagePackHubProtocol()`. Default JSON. */
  readonly protocol?: IHubProtocol;
  /**
   * When to retry a lost connection and a failed first start: a {@link RetrySchedule} (default
   * 0, 2, 10, 30 s with ±20 % jitter, then every 30 s forever), any `IRetryPolicy`, or `false`
   * (one attempt, no reconnect).
   */
  readonly reconnect?: RetrySchedule | IRetryPolicy | false;
  /** The official client's stateful reconnect (same connection, same server, within its buffer). */
  readonly statefulReconnect?: boolean | IStatefulReconnectOptions;
  readonly serverTimeoutInMilliseconds?: number;
  readonly keepAliveIntervalInMilliseconds?: number;
  /** Start at once (default true). With false, call `start()`. */
  readonly autoStart?: boolean;
  /** Errors no caller awaits: failed start attempts, refused joins, throwing handlers. Default: logged. */
  readonly onError?: (error: unknown, where: string) => void;
  /** Default: the global `setTimeout`/`clearTimeout`. */
  readonly timers?: Timers;
  /**
   * How long a call (`invoke`, `send`, `stream`) made while connecting or reconnecting waits for
   * the connection before it fails (ms). A call never waits longer than this for a server that
   * is gone; 0 fails at once, as the official client does, `Infinity` waits as long as the retries
   * go on. Default 30 000.
   */
  readonly callWaitTimeout?: number;
}

/** {@link HubClientOptions.callWaitTimeout}'s default (ms). */
export const DEFAULT_CALL_WAIT_TIMEOUT = 30_000;

/**
 * A hub connection with typed proxies. `TServer` is the hub — a Hubwire `Hub` subclass, its class
 * (`typeof ChatHub`) or a plain interface of its methods —, `TClient` the interface of the client
 * methods it calls.
 */
export interface HubClient<TServer = DynamicMethods, TClient = DynamicMethods> {
  /** `await hub.invoke.method(...args)`: the method's result. Waits while connecting or reconnecting. */
  readonly invoke: InvokeProxy<ServerShape<TServer>>;
  /** `await hub.send.method(...args)`: fire-and-forget, resolves once sent. */
  readonly send: SendProxy<ServerShape<TServer>>;
  /** `hub.stream.method(...args)`: a streaming method's items (subscribe, or `for await`). */
  readonly stream: StreamProxy<ServerShape<TServer>>;
  /** `hub.on.method(handler)`: handles a client method; returns the unsubscribe function. */
  readonly on: HandlerProxy<TClient>;
  readonly state: HubState;
  /** The transport in use while connected (as the official client selected it), else undefined. */
  readonly transport: TransportName | undefined;
  /** The hub protocol's name (`json`, `messagepack`). */
  readonly protocol: string;
  readonly connectionId: string | null;
  /** The official `HubConnection` underneath (handlers registered on it directly do not get held messages). */
  readonly connection: HubConnection;
  /** Calls `listener` on every state change; returns the unsubscribe function. */
  onStateChange(listener: (state: HubState, change: StateChange) => void): Unsubscribe;
  /** Joins a recoverable group now (when connected) and after every reconnect, from its last position. */
  subscribe<R>(options: SubscriptionOptions<R>): Subscription<R>;
  /** Starts (retrying on the schedule) and resolves once connected; rejects only if stopped first. */
  start(): Promise<void>;
  /** Stops the connection and any retry; `start()` may be called again. */
  stop(): Promise<void>;
}

interface Registration {
  readonly handler: (...args: any[]) => unknown;
}

interface MethodHandlers {
  readonly registrations: Set<Registration>;
  readonly dispatcher: (...args: unknown[]) => unknown;
}

const isPromise = (value: unknown): value is Promise<unknown> => typeof (value as { then?: unknown } | null)?.then === 'function';

/** A proxy whose every string property is a function of that name (cached); `then` is not, so it is no thenable. */
function methodProxy<T>(call: (name: string, args: unknown[]) => unknown): T {
  const cache = new Map<string, (...args: unknown[]) => unknown>();
  return new Proxy(Object.create(null) as object, {
    get(_target, name) {
      if (typeof name !== 'string' || name === 'then') return undefined;
      let method = cache.get(name);
      if (method === undefined) cache.set(name, (method = (...args: unknown[]) => call(name, args)));
      return method;
    },
  }) as T;
}

/** The transport a configuration can only end up on, when it says so. */
function fixedTransport(options: IHttpConnectionOptions): TransportName | undefined {
  if (options.skipNegotiation === true) return 'WebSockets';
  switch (options.transport) {
    case HttpTransportType.WebSockets:
      return 'WebSockets';
    case HttpTransportType.ServerSentEvents:
      return 'ServerSentEvents';
    case HttpTransportType.LongPolling:
      return 'LongPolling';
    default:
      return undefined;
  }
}

class HubClientImpl<TServer, TClient> implements HubClient<TServer, TClient> {
  readonly invoke: InvokeProxy<ServerShape<TServer>>;
  readonly send: SendProxy<ServerShape<TServer>>;
  readonly stream: StreamProxy<ServerShape<TServer>>;
  readonly on: HandlerProxy<TClient>;
  readonly connection: HubConnection;
  readonly protocol: string;
  readonly #options: HubClientOptions;
  readonly #policy: IRetryPolicy | undefined;
  readonly #timers: Timers;
  readonly #logger;
  readonly #handlers = new Map<string, MethodHandlers>();
  readonly #listeners = new Set<(state: HubState, change: StateChange) => void>();
  readonly #subscriptions = new Map<string, GroupSubscription<any>>();
  readonly #subscriptionHost: SubscriptionHost;
  #state: HubState = 'disconnected';
  #transport: TransportName | undefined;
  #selected: TransportName | undefined;
  #starting: Promise<void> | undefined;
  /** Bumped by stop(): a start loop of an older run gives up. */
  #run = 0;
  #wake: (() => void) | undefined;

  constructor(url: string, options: HubClientOptions) {
    this.#options = options;
    this.#timers = options.timers ?? { setTimeout: (callback, ms) => setTimeout(callback, ms), clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>) };
    const reconnect = options.reconnect ?? {};
    this.#policy = reconnect === false ? undefined : 'nextRetryDelayInMilliseconds' in reconnect ? reconnect : retrySchedule(reconnect);
    this.#logger = loggerFor(options.logger);
    const inner = options.protocol ?? new JsonHubProtocol();
    this.protocol = inner.name;

    const { protocol: _protocol, reconnect: _reconnect, statefulReconnect, serverTimeoutInMilliseconds, keepAliveIntervalInMilliseconds, autoStart, onError: _onError, timers: _timers, logger: _logger, callWaitTimeout: _callWaitTimeout, ...http } = options;
    let builder = new HubConnectionBuilder()
      .withUrl(url, http)
      .withHubProtocol(watchInvocations(inner, (message) => this.#admit(message)))
      .configureLogging(transportWatchingLogger(this.#logger, (name) => (this.#selected = name)));
    if (this.#policy !== undefined) builder = builder.withAutomaticReconnect(this.#policy);
    if (statefulReconnect !== undefined && statefulReconnect !== false) builder = builder.withStatefulReconnect(statefulReconnect === true ? undefined : statefulReconnect);
    if (serverTimeoutInMilliseconds !== undefined) builder = builder.withServerTimeout(serverTimeoutInMilliseconds);
    if (keepAliveIntervalInMilliseconds !== undefined) builder = builder.withKeepAliveInterval(keepAliveIntervalInMilliseconds);
    const connection = builder.build();
    this.connection = connection;
    connection.on(DROPPED_TARGET, () => undefined);
    connection.onreconnecting((error) => this.#setState('reconnecting', error));
    connection.onreconnected(() => {
      this.#connected();
      this.#joinAll('reconnect');
    });
    connection.onclose((error) => this.#setState('disconnected', error));

    this.#subscriptionHost = {
      deliver: (message) => this.#deliver(message),
      connected: () => connection.state === HubConnectionState.Connected,
      report: (error, where) => this.#report(error, where),
      forget: (subscription) => {
        if (this.#subscriptions.get(subscription.group) === subscription) this.#subscriptions.delete(subscription.group);
      },
    };
    this.invoke = methodProxy((name, args) => this.#whenReady(name, () => connection.invoke(name, ...args)));
    this.send = methodProxy((name, args) => this.#whenReady(name, () => connection.send(name, ...args)));
    this.stream = methodProxy((name, args) => lazyStream(() => connection.stream(name, ...args), () => this.#readiness(name)));
    this.on = methodProxy((name, args) => this.#addHandler(name, args[0] as Registration['handler']));
    if (autoStart !== false) this.start().catch(() => undefined);
  }

  get state(): HubState {
    return this.#state;
  }

  get transport(): TransportName | undefined {
    return this.#transport;
  }

  get connectionId(): string | null {
    return this.connection.connectionId;
  }

  onStateChange(listener: (state: HubState, change: StateChange) => void): Unsubscribe {
    const own = (state: HubState, change: StateChange) => listener(state, change);
    this.#listeners.add(own);
    return () => this.#listeners.delete(own);
  }

  subscribe<R>(options: SubscriptionOptions<R>): Subscription<R> {
    if (this.#subscriptions.has(options.group)) throw new Error(`Already subscribed to group '${options.group}'.`);
    const subscription = new GroupSubscription(options, this.#subscriptionHost);
    this.#subscriptions.set(options.group, subscription);
    if (this.connection.state === HubConnectionState.Connected) void subscription.join('subscribe');
    return subscription;
  }

  start(): Promise<void> {
    if (this.#state === 'connected') return Promise.resolve();
    if (this.#state === 'reconnecting') return this.#nextConnected();
    if (this.#starting !== undefined) return this.#starting;
    const starting = this.#startLoop(this.#run).finally(() => {
      if (this.#starting === starting) this.#starting = undefined;
    });
    this.#starting = starting;
    return starting;
  }

  async stop(): Promise<void> {
    this.#run++;
    this.#starting = undefined;
    this.#wake?.();
    await this.connection.stop();
    this.#setState('disconnected');
  }

  /** Tries `start()` until it succeeds, waiting between attempts as the policy says. */
  async #startLoop(run: number): Promise<void> {
    const began = Date.now();
    this.#setState('connecting');
    for (let attempt = 0; ; attempt++) {
      try {
        await this.connection.start();
      } catch (error) {
        if (run !== this.#run) throw new AbortError('The hub client was stopped before it connected.');
        const reason = error instanceof Error ? error : new Error(String(error));
        // A warning, not an error: the official client logs the failure itself, and we retry.
        this.#report(reason, 'start', LogLevel.Warning);
        const delay = this.#policy?.nextRetryDelayInMilliseconds({ previousRetryCount: attempt, elapsedMilliseconds: Date.now() - began, retryReason: reason }) ?? null;
        if (delay === null) {
          this.#setState('disconnected', reason);
          throw reason;
        }
        await this.#sleep(delay);
        if (run !== this.#run) throw new AbortError('The hub client was stopped before it connected.');
        continue;
      }
      if (run !== this.#run) {
        await this.connection.stop();
        throw new AbortError('The hub client was stopped before it connected.');
      }
      this.#connected();
      this.#joinAll('connect');
      return;
    }
  }

  /** Waits `ms`, or less if stop() wakes it. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.#timers.setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        this.#timers.clearTimeout(handle);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  #connected(): void {
    this.#transport = this.#selected ?? fixedTransport(this.#options);
    this.#setState('connected');
  }

  #setState(state: HubState, error?: Error): void {
    if (state !== 'connected') this.#transport = undefined;
    const previous = this.#state;
    if (state === previous) return;
    this.#state = state;
    const change: StateChange = error === undefined ? { previous } : { previous, error };
    for (const listener of [...this.#listeners]) {
      try {
        listener(state, change);
      } catch (thrown) {
        this.#report(thrown, 'onStateChange listener');
      }
    }
  }

  /** Resolves at the next 'connected', rejects at 'disconnected'. */
  #nextConnected(): Promise<void> {
    return new Promise((resolve, reject) => {
      const unsubscribe = this.onStateChange((state, change) => {
        if (state === 'connected') {
          unsubscribe();
          resolve();
        } else if (state === 'disconnected') {
          unsubscribe();
          reject(change.error ?? new AbortError('The hub client was stopped.'));
        }
      });
    });
  }

  /** undefined when calls may go out now, else a promise of the moment they may (or of why not). */
  #readiness(name: string): Promise<void> | undefined {
    if (this.connection.state === HubConnectionState.Connected) return undefined;
    if (this.#state === 'disconnected') return Promise.reject(new Error(`Cannot call '${name}': the hub client is not started (call start()).`));
    const limit = this.#options.callWaitTimeout ?? DEFAULT_CALL_WAIT_TIMEOUT;
    if (limit <= 0) return Promise.reject(new Error(`Cannot call '${name}': the hub client is ${this.#state}.`));
    if (limit === Number.POSITIVE_INFINITY) return this.#nextConnected();
    return new Promise((resolve, reject) => {
      const handle = this.#timers.setTimeout(() => reject(new Error(`Cannot call '${name}': the hub client was not connected within ${limit} ms.`)), limit);
      this.#nextConnected().then(
        () => {
          this.#timers.clearTimeout(handle);
          resolve();
        },
        (error: unknown) => {
          this.#timers.clearTimeout(handle);
          reject(error);
        },
      );
    });
  }

  #whenReady<T>(name: string, call: () => Promise<T>): Promise<T> {
    const waiting = this.#readiness(name);
    return waiting === undefined ? call() : waiting.then(call);
  }

  #joinAll(reason: 'connect' | 'reconnect'): void {
    for (const subscription of [...this.#subscriptions.values()]) void subscription.join(reason);
  }

  /** Every broadcast invocation passes here while it is parsed, before the official client dispatches it. */
  #admit(message: InvocationMessage): boolean {
    const position = positionArgument(message.arguments);
    if (position === undefined) return true;
    const subscription = this.#subscriptions.get(position.group);
    return subscription === undefined || subscription.admit(message, position);
  }

  #addHandler(name: string, handler: Registration['handler']): Unsubscribe {
    if (typeof handler !== 'function') throw new TypeError(`hub.on.${name}() takes a handler function.`);
    const key = name.toLowerCase();
    let entry = this.#handlers.get(key);
    if (entry === undefined) {
      const registrations = new Set<Registration>();
      entry = { registrations, dispatcher: (...args: unknown[]) => this.#dispatch(name, registrations, args) };
      this.#handlers.set(key, entry);
      this.connection.on(name, entry.dispatcher);
    }
    const registration: Registration = { handler };
    const { registrations, dispatcher } = entry;
    registrations.add(registration);
    return () => {
      if (!registrations.delete(registration) || registrations.size > 0) return;
      this.connection.off(name, dispatcher);
      if (this.#handlers.get(key)?.dispatcher === dispatcher) this.#handlers.delete(key);
    };
  }

  /** Calls every handler of a method in turn; the last result given answers a client-result call. */
  #dispatch(name: string, registrations: ReadonlySet<Registration>, args: readonly unknown[]): unknown {
    let result: unknown;
    for (const { handler } of [...registrations]) {
      try {
        const value = handler(...args);
        if (isPromise(value)) value.then(undefined, (error: unknown) => this.#report(error, `handler of '${name}'`));
        if (value !== undefined) result = value;
      } catch (error) {
        this.#report(error, `handler of '${name}'`);
      }
    }
    return result;
  }

  /** A message a subscription held, now due: to the handlers as the official client would have. */
  #deliver(message: InvocationMessage): void {
    const entry = this.#handlers.get(message.target.toLowerCase());
    if (entry !== undefined) this.#dispatch(message.target, entry.registrations, message.arguments);
  }

  #report(error: unknown, where: string, level = LogLevel.Error): void {
    const onError = this.#options.onError;
    if (onError !== undefined) {
      try {
        onError(error, where);
        return;
      } catch (thrown) {
        error = thrown;
      }
    }
    this.#logger.log(level, `@hubwire/client: ${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Creates a hub client for `url` and starts it (unless `autoStart: false`).
 *
 * @example
 * ```ts
 * import { connectHub } from '@hubwire/client';
 *
 * interface ChatServer { sendMessage(text: string): Promise<void>; join(room: string): Promise<void> }
 * interface ChatClient { receiveMessage(user: string, text: string): void }
 *
 * const hub = connectHub<ChatServer, ChatClient>('https://example.com/hubs/chat', { accessTokenFactory: getToken });
 * const off = hub.on.receiveMessage((user, text) => console.log(user, text));
 * hub.onStateChange((state) => console.log(state));
 * await hub.start();
 * await hub.invoke.sendMessage('hello');
 * ```
 */
export function connectHub<TServer = DynamicMethods, TClient = DynamicMethods>(url: string, options: HubClientOptions = {}): HubClient<TServer, TClient> {
  return new HubClientImpl<TServer, TClient>(url, options);
}
