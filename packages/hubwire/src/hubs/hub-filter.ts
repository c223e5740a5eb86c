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
 * A connection joined or left a group (see {@link HubFilter.onGroupChange}).
 *
 * @example
 * ```ts
 * const change: GroupMembershipChange = { hubPath: '/hubs/chat', hubName: 'ChatHub', connectionId: 'c1', userIdentifier: 'jane', group: 'room-1', change: 'joined' };
 * ```
 */
export interface GroupMembershipChange {
  /** The path the connection is on. */
  readonly hubPath: string;
  /** The hub class's name. */
  readonly hubName?: string;
  readonly connectionId: string;
  /** The connection's user, when it has one. */
  readonly userIdentifier?: string;
  readonly group: string;
  readonly change: 'joined' | 'left';
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
  /**
   * A connection's group membership changed: told once per effective change — `joined` when the
   * connection was not yet a member, `left` when it was — on the node that holds the connection,
   * whether a hub method, the hub context or (on a backplane) another node asked for it. Not told
   * for the removal from every group when the connection ends: `onDisconnected` covers that. Not a
   * middleware: it cannot stop the change, runs after it, and what it throws (or a promise it
   * returns rejects with) is logged, never failing the join or leave. Only the lifetime managers
   * Hubwire ships report changes (a custom one must call `LifetimeManagerContext.onGroupChange`).
   *
   * @example
   * ```ts
   * const webhooks: HubFilter = {
   *   onGroupChange(change) {
   *     queue.push({ event: change.change, group: change.group, connectionId: change.connectionId });
   *   },
   * };
   * ```
   */
  onGroupChange?(change: GroupMembershipChange): void;
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
