/**
 * Hub filters: middleware around every hub method invocation and around connect and
 * disconnect, composed once when the hub is mapped (ASP.NET's IHubFilter).
 * @module
 */
import type { MessageHeaders } from '../protocol/messages.js';
import type { HubCallerContext } from './hub-caller-context.js';
import type { Hub } from './hub.js';

/** One hub method call, as filters see it. */
export interface HubInvocationContext {
  /** The hub instance serving this call. */
  readonly hub: Hub<any>;
  /** The calling connection. */
  readonly context: HubCallerContext;
  /** The path the hub is mapped on. */
  readonly hubPath: string;
  /** The method's declared name (the client may have used another case). */
  readonly methodName: string;
  /** The arguments the method will receive; a filter may replace or validate them. */
  arguments: unknown[];
  /** The caller's invocation id; undefined for fire-and-forget calls. */
  readonly invocationId: string | undefined;
  /** Headers the client attached to the invocation. */
  readonly headers: MessageHeaders | undefined;
  /** Aborted when the client cancels a stream or the connection ends. */
  readonly signal: AbortSignal;
}

/** A connect or disconnect, as filters see it. */
export interface HubLifetimeContext {
  readonly hub: Hub<any>;
  readonly context: HubCallerContext;
  readonly hubPath: string;
}

/**
 * Middleware around hub calls. Each hook gets the context and `next`; call `next` once to go on,
 * or return/throw without calling it to stop the call (a thrown `HubError` reaches the client).
 *
 * @example
 * ```ts
 * const timing: HubFilter = {
 *   async invokeMethod(ctx, next) {
 *     const started = performance.now();
 *     try { return await next(ctx); }
 *     finally { log.info({ method: ctx.methodName, ms: performance.now() - started }); }
 *   },
 * };
 * createHubServer({ filters: [timing] });
 * ```
 */
export interface HubFilter {
  invokeMethod?(context: HubInvocationContext, next: (context: HubInvocationContext) => Promise<unknown>): Promise<unknown>;
  onConnected?(context: HubLifetimeContext, next: (context: HubLifetimeContext) => Promise<void>): Promise<void>;
  onDisconnected?(context: HubLifetimeContext, error: Error | undefined, next: (context: HubLifetimeContext, error: Error | undefined) => Promise<void>): Promise<void>;
}

type Step<A extends unknown[], R> = (...args: A) => Promise<R>;

/**
 * Chains `filters` around `last`, outermost first. Each filter's `next` may be called once per
 * call; a second call is a bug in the filter and throws instead of running the method twice.
 */
export function composeFilters<A extends unknown[], R>(
  hooks: ((...args: [...A, Step<A, R>]) => Promise<R>)[],
  last: Step<A, R>,
): Step<A, R> {
  let chain = last;
  for (let index = hooks.length - 1; index >= 0; index--) {
    const hook = hooks[index]!;
    const inner = chain;
    chain = (...args: A) => {
      let called = false;
      const next: Step<A, R> = (...nextArgs: A) => {
        if (called) return Promise.reject(new Error('A hub filter called next() twice.'));
        called = true;
        return inner(...nextArgs);
      };
      return hook(...args, next);
    };
  }
  return chain;
}
