/**
 * This process's connections, as the data plane needs them: to tell whether one exists, to close
 * it, to list a hub's connections and users. Hubwire's public API answers neither "does
 * connection X exist" (presence knows connections by group and by user only) nor "close
 * connection X" from outside a hub method, so a server-wide hub filter records each connection
 * with its `abort` when it connects and forgets it when it ends. The same filter puts a user's
 * new connection in the groups the data plane added the user to (Azure's user-group membership).
 *
 * It also keeps each connection's groups, for Azure's "remove a connection from all groups":
 * Hubwire's public API cannot list them, but the filter's `onGroupChange` is told every join and
 * leave of a connection on the node that holds it (a hub method's, the hub context's, another
 * node's through the backplane).
 *
 * Install {@link ConnectionDirectory.filter} in `createHubServer({ filters })`; connections of
 * hubs mapped before it is installed are not seen.
 * @module
 */
import type { HubCallerContext, HubFilter, HubLifetimeContext, TransportKind } from 'hubwire';
import type { Logger } from 'pino';
import type { UserGroupStore } from './user-groups.js';

/** A connection of this process. */
export interface LocalConnection {
  readonly connectionId: string;
  readonly userId: string | undefined;
}

interface Entry extends LocalConnection {
  readonly context: HubCallerContext;
  /** When it connected (epoch ms). */
  readonly connectedAt: number;
  /** The groups it is in, as `onGroupChange` told them. */
  readonly groups: Set<string>;
}

/** What this node knows of one of its connections beyond its id. */
export interface ConnectionFacts {
  /** The hub protocol the client speaks (`json`, `messagepack`, …). */
  readonly protocol: string;
  /** The transport it is connected over. */
  readonly transport: TransportKind;
  /** When it connected (epoch ms): its handshake completed. */
  readonly connectedAt: number;
  readonly groups: readonly string[];
}

/** What to close on a hub: some connections, or all but some. */
export type CloseTarget = { readonly ids: readonly string[] } | { readonly allExcept: readonly string[] };

/**
 * The registry and the filter that fills it. Hubs are keyed by their path (case-insensitive).
 *
 * @example
 * ```ts
 * const directory = new ConnectionDirectory({ userGroups, logger });
 * const hubwire = createHubServer({ filters: [directory.filter] });
 * directory.has('/hubs/chat', connectionId);
 * ```
 */
export class ConnectionDirectory {
  readonly #hubs = new Map<string, Map<string, Entry>>();
  readonly #userGroups: UserGroupStore;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  #joinsFailing = false;

  /** The hub filter that records connections; install it server-wide. */
  readonly filter: HubFilter;

  /** `now` dates connections (epoch ms; default `Date.now`). */
  constructor(options: { readonly userGroups: UserGroupStore; readonly logger?: Logger; readonly now?: () => number }) {
    this.#userGroups = options.userGroups;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.filter = {
      onConnected: (context, next) => this.#connected(context, next),
      onGroupChange: (change) => this.noteGroup(change.hubPath, [change.connectionId], change.group, change.change === 'joined'),
    };
  }

  /** The protocol, transport, start and groups of a connection of `hub` here; undefined when it is not here. */
  facts(hub: string, connectionId: string): ConnectionFacts | undefined {
    const entry = this.#hubs.get(hub.toLowerCase())?.get(connectionId);
    if (entry === undefined) return undefined;
    return { protocol: entry.context.protocol, transport: entry.context.transport, connectedAt: entry.connectedAt, groups: [...entry.groups] };
  }

  /** Records that connections of `hub` here joined or left `group`; others are ignored. */
  noteGroup(hub: string, connectionIds: readonly string[], group: string, joined: boolean): void {
    const entries = this.#hubs.get(hub.toLowerCase());
    if (entries === undefined) return;
    for (const id of connectionIds) {
      const groups = entries.get(id)?.groups;
      if (joined) groups?.add(group);
      else groups?.delete(group);
    }
  }

  /** Whether `connectionId` is a connection of `hub` on this process. */
  has(hub: string, connectionId: string): boolean {
    return this.#hubs.get(hub.toLowerCase())?.has(connectionId) ?? false;
  }

  /** This process's connections of `hub` among `connectionIds`. */
  present(hub: string, connectionIds: readonly string[]): string[] {
    const entries = this.#hubs.get(hub.toLowerCase());
    return entries === undefined ? [] : connectionIds.filter((id) => entries.has(id));
  }

  /** Ends connections of `hub` (the client gets a Close and does not reconnect); answers how many. */
  close(hub: string, target: CloseTarget, reason: string | undefined): number {
    const entries = this.#hubs.get(hub.toLowerCase());
    if (entries === undefined) return 0;
    const chosen =
      'ids' in target
        ? target.ids.flatMap((id) => entries.get(id) ?? [])
        : [...entries.values()].filter((entry) => !target.allExcept.includes(entry.connectionId));
    for (const entry of chosen) {
      this.#logger?.info({ hub, connectionId: entry.connectionId, user: entry.userId, reason }, 'data plane closes a connection');
      entry.context.abort();
    }
    return chosen.length;
  }

  /** A page of `hub`'s connections here, ordered by id, after `after`. */
  list(hub: string, after: string | undefined, limit: number): LocalConnection[] {
    const entries = this.#hubs.get(hub.toLowerCase());
    if (entries === undefined) return [];
    const ids = [...entries.keys()].filter((id) => after === undefined || id > after).sort();
    return ids.slice(0, limit).map((id) => {
      const { connectionId, userId } = entries.get(id)!;
      return { connectionId, userId };
    });
  }

  /** A page of the distinct users with a connection to `hub` here, ordered, after `after`. */
  users(hub: string, after: string | undefined, limit: number): string[] {
    const entries = this.#hubs.get(hub.toLowerCase());
    if (entries === undefined) return [];
    const users = new Set<string>();
    for (const { userId } of entries.values()) if (userId !== undefined && (after === undefined || userId > after)) users.add(userId);
    return [...users].sort().slice(0, limit);
  }

  async #connected(lifetime: HubLifetimeContext, next: (context: HubLifetimeContext) => Promise<void>): Promise<void> {
    const { context, hubPath } = lifetime;
    const hub = hubPath.toLowerCase();
    if (!context.connectionAborted.aborted) {
      let entries = this.#hubs.get(hub);
      if (entries === undefined) this.#hubs.set(hub, (entries = new Map()));
      entries.set(context.connectionId, { connectionId: context.connectionId, userId: context.userIdentifier, context, connectedAt: this.#now(), groups: new Set() });
      // Also when the hub's onConnected fails: the connection ends and this fires.
      context.connectionAborted.addEventListener('abort', () => this.#forget(hub, context.connectionId), { once: true });
    }
    const user = context.userIdentifier;
    if (user !== undefined) {
      // After the lifetime manager registered the connection: a concurrent add of the user reads
      // presence after writing the store, so one of the two sees the other.
      try {
        for (const group of await this.#userGroups.groups(hubPath, user)) await lifetime.hub.groups.add(context.connectionId, group);
        this.#joinsFailing = false;
      } catch (error) {
        // Once per outage: during a Redis outage every connecting user would log it.
        if (!this.#joinsFailing) this.#logger?.warn({ hub: hubPath, connectionId: context.connectionId, user, err: { message: (error as Error).message } }, "could not put a new connection in its user's groups (logged once until it works again)");
        this.#joinsFailing = true;
      }
    }
    await next(lifetime);
  }

  #forget(hub: string, connectionId: string): void {
    const entries = this.#hubs.get(hub);
    entries?.delete(connectionId);
    if (entries?.size === 0) this.#hubs.delete(hub);
  }
}
