/**
 * Typed proxies for calling client methods: `clients.all.receiveMessage(msg)` becomes an
 * Invocation of `receiveMessage` sent to the proxy's audience.
 * @module
 */

/** A client interface whose methods are not declared: any method name is allowed. */
export interface DynamicClient {
  [method: string]: (...args: any[]) => unknown;
}

/** The names of the methods of a client interface `T`. */
export type ClientMethodName<T> = { [K in keyof T]: T[K] extends (...args: any[]) => unknown ? K : never }[keyof T] & string;

/**
 * The typed methods of a client interface `T`, each sending an invocation. Methods named `send`
 * or `invoke` are left out: on a proxy those names are the dynamic calls, so such a client method
 * is called as `proxy.send('send', ...args)` (see {@link ClientProxy}).
 */
export type ClientMethods<T> = {
  [K in keyof T as K extends string ? (K extends 'send' | 'invoke' ? never : K) : never]: T[K] extends (...args: infer A) => unknown
    ? (...args: A) => Promise<void>
    : never;
};

/**
 * Calls client methods on an audience. Typed methods come from the client interface `T`;
 * `send(method, ...args)` works for any name (like ASP.NET's `SendAsync`; editors complete the
 * names of `T`'s methods). It is also how a client method named `send` or `invoke` is called:
 * those two names are the proxy's own, so `T`'s methods of that name are not typed members.
 *
 * The returned promise resolves once the message is queued for every local recipient; it does not
 * wait for clients to receive it.
 *
 * @example
 * ```ts
 * interface ChatClient { send(text: string): void; receive(user: string, text: string): void }
 * // in a Hub<ChatClient>:
 * await this.clients.all.receive('ann', 'hi');  // typed
 * await this.clients.all.send('send', 'hi');    // the client's `send` handler
 * await this.clients.all.send('Undeclared', 1); // any other name
 * ```
 */
export type ClientProxy<T = DynamicClient> = ClientMethods<T> & {
  send(method: ClientMethodName<T> | (string & {}), ...args: unknown[]): Promise<void>;
};

/**
 * A proxy for exactly one connection, which can also await the client's answer
 * ("client results").
 */
export type SingleClientProxy<T = DynamicClient> = ClientProxy<T> & {
  /**
   * Invokes a client method and resolves with the value its handler returns. End the arguments
   * with an `AbortSignal` to cancel (e.g. `AbortSignal.timeout(5000)`). Rejects with the client's
   * error as a `HubError`, or when the connection does not exist or disconnects. Any method name
   * works, `'send'` and `'invoke'` included.
   *
   * @example
   * ```ts
   * const answer = await this.clients.caller.invoke<string>('GetMessage', 'What is your name?');
   * ```
   */
  invoke<R = unknown>(method: string, ...args: unknown[]): Promise<R>;
};

/** The function a proxy calls for every send. */
export type SendFn = (method: string, args: unknown[]) => Promise<void>;

/** The function a single-connection proxy calls for every invoke. */
export type InvokeFn = (method: string, args: unknown[], signal: AbortSignal | undefined) => Promise<unknown>;

// Properties that must not turn into client calls: `then` would make every proxy look like a
// promise to `await`, and the symbols are probed by inspectors and the runtime.
const NOT_METHODS = new Set<string | symbol>(['then', 'toJSON', 'constructor', Symbol.toPrimitive, Symbol.toStringTag]);

/** Creates a {@link ClientProxy} that hands every call to `send` (and `invoke`, when given). */
export function createClientProxy<T>(send: SendFn): ClientProxy<T>;
export function createClientProxy<T>(send: SendFn, invoke: InvokeFn): SingleClientProxy<T>;
export function createClientProxy<T>(send: SendFn, invoke?: InvokeFn): ClientProxy<T> | SingleClientProxy<T> {
  const methods = new Map<string, (...args: unknown[]) => Promise<void>>();
  const target = {
    send: (method: string, ...args: unknown[]) => send(method, args),
    invoke:
      invoke === undefined
        ? () => Promise.reject(new TypeError('Client results need a single connection: use clients.client(id) or clients.caller.'))
        : (method: string, ...args: unknown[]) => {
            const last = args[args.length - 1];
            return last instanceof AbortSignal ? invoke(method, args.slice(0, -1), last) : invoke(method, args, undefined);
          },
  };
  return new Proxy(target, {
    get(base, property) {
      if (property === 'send') return base.send;
      if (property === 'invoke') return base.invoke;
      if (typeof property !== 'string' || NOT_METHODS.has(property)) return undefined;
      let method = methods.get(property);
      if (method === undefined) {
        method = (...args: unknown[]) => send(property, args);
        methods.set(property, method);
      }
      return method;
    },
  }) as unknown as ClientProxy<T>;
}
