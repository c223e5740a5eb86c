/**
 * The base class of every hub.
 * @module
 */
import type { Presence } from '../lifetime/presence.js';
import type { DynamicClient } from './client-proxy.js';
import type { GroupManager } from './group-manager.js';
import type { HubCallerClients } from './hub-clients.js';
import type { HubCallerContext } from './hub-caller-context.js';

/** The hub method call being served, as `this.invocation` in a hub. */
export interface HubInvocation {
  /** The caller's invocation id; undefined for fire-and-forget calls. */
  readonly invocationId: string | undefined;
  /** The method's declared name. */
  readonly methodName: string;
  /**
   * Aborted when the client cancels the stream this method produces, or the connection ends.
   * Streaming methods should stop producing when it fires.
   */
  readonly signal: AbortSignal;
  /** Headers the client attached to the invocation. */
  readonly headers: Readonly<Record<string, string>> | undefined;
}

/** What the dispatcher gives a hub instance before calling it. @internal */
export interface HubBinding {
  readonly context: HubCallerContext;
  readonly clients: HubCallerClients<any>;
  readonly groups: GroupManager;
  readonly presence: Presence;
  readonly invocation?: HubInvocation;
}

const binding = Symbol('hubwire.binding');

/**
 * A hub: a class whose public methods clients invoke by name (matched case-insensitively).
 * `TClient` describes the methods clients handle, so `this.clients.all.x(...)` is type-checked.
 *
 * A new instance serves every invocation (as in ASP.NET), so keep state that must outlive a call
 * in `this.context.items` (per connection) or in services the hub is given.
 *
 * @example
 * ```ts
 * interface ChatClient { receiveMessage(user: string, text: string): void }
 *
 * class ChatHub extends Hub<ChatClient> {
 *   async sendMessage(text: string) {
 *     await this.clients.all.receiveMessage(this.context.userIdentifier ?? 'anonymous', text);
 *   }
 *   async join(room: string) {
 *     await this.groups.add(this.context.connectionId, room);
 *   }
 *   add(a: number, b: number) { return a + b; }
 * }
 *
 * hubwire.mapHub('/hubs/chat', ChatHub);
 * ```
 */
export abstract class Hub<TClient = DynamicClient> {
  /** @internal */
  [binding]: HubBinding | undefined;

  /** The connection that invoked the current method. */
  get context(): HubCallerContext {
    return bound(this).context;
  }

  /** Audiences to call client methods on. */
  get clients(): HubCallerClients<TClient> {
    return bound(this).clients as HubCallerClients<TClient>;
  }

  /** Group membership. */
  get groups(): GroupManager {
    return bound(this).groups;
  }

  /**
   * Who is connected and in which groups, over every node of the hub (on the Redis backplane,
   * every process on the same Redis). Also on `hubwire.hubContext(Hub).presence`.
   *
   * @example
   * ```ts
   * class RoomHub extends Hub {
   *   async join(room: string) {
   *     await this.groups.add(this.context.connectionId, room);
   *     return { members: await this.presence.groupConnectionCount(room) };
   *   }
   *   isOnline(user: string) {
   *     return this.presence.isUserOnline(user);
   *   }
   * }
   * ```
   */
  get presence(): Presence {
    return bound(this).presence;
  }

  /** The hub method call being served (not available in onConnected/onDisconnected). */
  get invocation(): HubInvocation {
    const invocation = bound(this).invocation;
    if (invocation === undefined) throw new Error('this.invocation is only available inside hub methods.');
    return invocation;
  }

  /**
   * Runs when a connection completes its handshake, before any of its invocations. Throwing
   * closes the connection with an error and the client does not reconnect automatically.
   */
  onConnected(): void | Promise<void> {}

  /**
   * Runs when a connection ends. `error` is set when it ended abnormally (the transport died,
   * a protocol error, a timeout), undefined when the client or the server closed it on purpose.
   * The connection is still a member of its groups while this runs.
   */
  onDisconnected(error?: Error): void | Promise<void> {
    void error;
  }
}

function bound(hub: Hub<unknown>): HubBinding {
  const value = hub[binding];
  if (value === undefined) throw new Error('This hub instance is not bound to a connection; use hubwire.hubContext() outside hubs.');
  return value;
}

/** Attaches an invocation's context to a hub instance. @internal */
export function bindHub(hub: Hub<unknown>, value: HubBinding): void {
  hub[binding] = value;
}

/**
 * The names of a hub's invocable methods (what `streamingMethods` and `authorizeMethods` of
 * `mapHub` may name).
 *
 * @example
 * ```ts
 * class FeedHub extends Hub { prices(): ReadableStream<number> { … } }
 * const name: HubMethodName<FeedHub> = 'prices';
 * ```
 */
export type HubMethodName<H> = Exclude<
  { [K in keyof H]: H[K] extends (...args: any[]) => unknown ? K : never }[keyof H],
  keyof Hub<any>
> &
  string;

/** A hub class: constructible without arguments (or via the `create` option of mapHub). */
export type HubClass<H extends Hub<any> = Hub<any>> = abstract new (...args: any[]) => H;

/** Names that belong to the Hub base class and are never hub methods. */
export const RESERVED_HUB_MEMBERS: ReadonlySet<string> = new Set(['constructor', 'context', 'clients', 'groups', 'presence', 'invocation', 'onConnected', 'onDisconnected']);
