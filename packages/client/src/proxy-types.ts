/**
 * The types of the typed hub proxies: which methods a hub has (from a Hubwire `Hub` subclass, its
 * class, or a plain interface), what each takes on the wire and what it answers.
 * @module
 */
import type { IStreamResult } from '@microsoft/signalr';

type AnyFunction = (...args: any[]) => any;

/** The members of Hubwire's `Hub` base class: never hub methods, so never on a proxy. */
type HubBaseMember = 'constructor' | 'context' | 'clients' | 'groups' | 'presence' | 'invocation' | 'onConnected' | 'onDisconnected';

/** The methods' side of a server type: a class (`typeof ChatHub`) gives its instances' methods. */
export type ServerShape<T> = T extends abstract new (...args: any) => infer Instance ? Instance : T;

/** The string keys of `T` whose values are functions, less the `Hub` base members. */
export type MethodName<T> = {
  [K in keyof T]-?: K extends string ? (K extends HubBaseMember ? never : NonNullable<T[K]> extends AnyFunction ? K : never) : never;
}[keyof T];

type Method<T, K extends keyof T> = NonNullable<T[K]> extends AnyFunction ? NonNullable<T[K]> : never;

/**
 * The item type of a streaming method's result (an `AsyncIterable`, an async generator, a
 * `ReadableStream`, or a promise of one), `never` for a method that does not stream. The
 * `ReadableStream` case is matched by shape so the types need neither the DOM nor Node's lib.
 */
export type StreamItem<R> = IsAny<R> extends true
  ? any
  : [R] extends [never]
    ? never
    : StreamItemOf<R>;

/** True for `any` (a dynamic hub's results may or may not stream). */
type IsAny<T> = 0 extends 1 & T ? true : false;

type StreamItemOf<R> =
  Awaited<R> extends AsyncIterable<infer Item>
    ? Item
    : Awaited<R> extends { getReader(): { read(): Promise<infer Read> } }
      ? Read extends { done: false; value: infer Item }
        ? Item
        : never
      : never;

/** Server-side parameters as the client passes them: an upload stream (`AsyncIterable<T>`) is a `Subject<T>` (any `IStreamResult<T>`). */
export type WireArguments<P extends readonly unknown[]> = { [I in keyof P]: P[I] extends AsyncIterable<infer Item> ? IStreamResult<Item> : P[I] };

/** Methods that answer once (invoke, send); a method returning `any` is both kinds. */
export type InvocableName<S> = {
  [K in MethodName<S>]: IsAny<ReturnType<Method<S, K>>> extends true ? K : [StreamItem<ReturnType<Method<S, K>>>] extends [never] ? K : never;
}[MethodName<S>];

/** Methods that stream their result. */
export type StreamingName<S> = { [K in MethodName<S>]: [StreamItem<ReturnType<Method<S, K>>>] extends [never] ? never : K }[MethodName<S>];

/** `hub.invoke.method(...)`: resolves with the method's result (its promise unwrapped). */
export type InvokeProxy<S> = {
  readonly [K in InvocableName<S>]: (...args: WireArguments<Parameters<Method<S, K>>>) => Promise<Awaited<ReturnType<Method<S, K>>>>;
};

/** `hub.send.method(...)`: fire-and-forget; resolves once the invocation is sent. */
export type SendProxy<S> = {
  readonly [K in InvocableName<S>]: (...args: WireArguments<Parameters<Method<S, K>>>) => Promise<void>;
};

/** A server stream: the official client's `IStreamResult` that is also an `AsyncIterable`. */
export interface HubStream<T> extends IStreamResult<T>, AsyncIterable<T> {}

/** `hub.stream.method(...)`: the method's items, as a {@link HubStream}. */
export type StreamProxy<S> = {
  readonly [K in StreamingName<S>]: (...args: WireArguments<Parameters<Method<S, K>>>) => HubStream<StreamItem<ReturnType<Method<S, K>>>>;
};

/** What a client handler may return: nothing for a plain method, the result for a client-result method. */
export type HandlerResult<R> = [Awaited<R>] extends [void] ? void : Awaited<R> | Promise<Awaited<R>>;

/** A handler of the client method `F`. */
export type Handler<F extends AnyFunction> = (...args: Parameters<F>) => HandlerResult<ReturnType<F>>;

/** Removes what was added. */
export type Unsubscribe = () => void;

/** `hub.on.method(handler)`: registers a handler and returns its unsubscribe function. */
export type HandlerProxy<C> = {
  readonly [K in MethodName<C>]: (handler: Handler<Method<C, K>>) => Unsubscribe;
};

/** A server or client type with any method name and any arguments (the default when none is given). */
export type DynamicMethods = Record<string, (...args: any[]) => any>;
