/**
 * A stand-in for `@hubwire/client`'s HubClient in component tests: the test moves its state and
 * calls its handlers; it records the options it was created with and whether it was started.
 * @module
 */
import type { HubClient, HubClientOptions, HubState, StateChange, TransportName } from '@hubwire/client';

/** A fake hub client a test drives. */
export class FakeHub {
  readonly url: string;
  readonly options: HubClientOptions;
  state: HubState = 'disconnected';
  transport: TransportName | undefined;
  readonly protocol = 'json';
  readonly connectionId = null;
  started = 0;
  stopped = 0;
  /** Handlers by method name, as `hub.on.X(handler)` registered them. */
  readonly handlers = new Map<string, Set<(...args: any[]) => unknown>>();
  /** Handler names registered before the first start (what must not miss early messages). */
  registeredBeforeStart: string[] | undefined;
  /** Results of `hub.invoke.X(...)` (a function of the arguments). */
  readonly results = new Map<string, (...args: any[]) => unknown>();
  readonly invocations: { method: string; args: unknown[] }[] = [];
  readonly #listeners = new Set<(state: HubState, change: StateChange) => void>();

  constructor(url: string, options: HubClientOptions) {
    this.url = url;
    this.options = options;
  }

  readonly on = new Proxy({} as Record<string, (handler: (...args: any[]) => unknown) => () => void>, {
    get: (_target, name: string) => (handler: (...args: any[]) => unknown) => {
      let set = this.handlers.get(name);
      if (set === undefined) this.handlers.set(name, (set = new Set()));
      set.add(handler);
      return () => set.delete(handler);
    },
  });

  readonly invoke = new Proxy({} as Record<string, (...args: any[]) => Promise<unknown>>, {
    get: (_target, name: string) => async (...args: unknown[]) => {
      this.invocations.push({ method: name, args });
      const result = this.results.get(name);
      if (result === undefined) throw new Error(`no result for ${name}`);
      return result(...args);
    },
  });

  onStateChange(listener: (state: HubState, change: StateChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): Promise<void> {
    this.started++;
    this.registeredBeforeStart ??= [...this.handlers.keys()];
    this.move('connecting');
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.stopped++;
    this.move('disconnected');
    return Promise.resolve();
  }

  /** Moves to `state` (with `transport` when connected) and tells the listeners. */
  move(state: HubState, options: { transport?: TransportName; error?: Error } = {}): void {
    const previous = this.state;
    this.state = state;
    this.transport = state === 'connected' ? (options.transport ?? 'WebSockets') : undefined;
    for (const listener of [...this.#listeners]) listener(state, options.error === undefined ? { previous } : { previous, error: options.error });
  }

  /** Calls the handlers of `method` as the server would. */
  emit(method: string, ...args: unknown[]): void {
    for (const handler of this.handlers.get(method) ?? []) handler(...args);
  }

  /** The count of registered handlers of `method`. */
  handlerCount(method: string): number {
    return this.handlers.get(method)?.size ?? 0;
  }
}

/** A `connect` option for useHub that records every client it makes. */
export function fakeConnector(): { readonly hubs: FakeHub[]; connect: <S, C>(url: string, options: HubClientOptions) => HubClient<S, C> } {
  const hubs: FakeHub[] = [];
  return {
    hubs,
    connect: <S, C>(url: string, options: HubClientOptions) => {
      const hub = new FakeHub(url, options);
      hubs.push(hub);
      return hub as unknown as HubClient<S, C>;
    },
  };
}
