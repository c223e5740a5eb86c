/**
 * The presence seam: who is connected, in which groups, on which node. Every
 * {@link HubLifetimeManager} answers it for the whole system it spans — the memory manager for
 * its process, the Redis backplane for every node on the same Redis.
 * @module
 */
import { HubwireError } from '../core/errors.js';

/** One connection as presence reports it. */
export interface PresenceConnection {
  readonly connectionId: string;
  /** The user the connection belongs to; undefined for an anonymous connection. */
  readonly userIdentifier: string | undefined;
  /** The node (process) serving the connection. */
  readonly nodeId: string;
}

/** One node of the system, with its connections to this hub. */
export interface PresenceNode {
  readonly nodeId: string;
  /** Connections of this hub on the node. */
  readonly connections: number;
  /** When the node last said it was alive (epoch ms; the memory manager answers "now"). */
  readonly lastHeartbeat: number;
}

/** One group of the hub, with how many connections are in it. */
export interface PresenceGroup {
  readonly group: string;
  /** Connections in the group (over every node); a listed group has at least one. */
  readonly connections: number;
}

/** Where a page starts and how long it is. */
export interface PageOptions {
  /** The `cursor` of the previous page; absent (or null, as a client may send it) for the first page. */
  readonly cursor?: string | null | undefined;
  /** At most this many items. Default {@link DEFAULT_PAGE_LIMIT}, at most {@link MAX_PAGE_LIMIT}. */
  readonly limit?: number | null | undefined;
}

/** One page of an answer. */
export interface Page<T> {
  readonly items: readonly T[];
  /** Pass it as `cursor` to get the next page; undefined on the last page. */
  readonly cursor: string | undefined;
}

/** The page length when none is given. */
export const DEFAULT_PAGE_LIMIT = 100;
/** The longest page. */
export const MAX_PAGE_LIMIT = 1000;

/**
 * Cluster-wide presence and membership of one hub, as `this.presence` in hub methods and
 * `hubwire.hubContext(Hub).presence` elsewhere. On the Redis backplane every answer covers every
 * node; a node that dies without closing drops out of every answer within its node TTL
 * (6 s by default, see docs/operations.md).
 *
 * Pages are ordered by connection id (users by user id, groups by name). Paging with the cursor returns every
 * member that stays in the group for the whole walk exactly once; members that join or leave
 * meanwhile may or may not appear.
 *
 * @example
 * ```ts
 * class RoomHub extends Hub {
 *   async whoIsHere(room: string) {
 *     const page = await this.presence.groupUsers(room, { limit: 50 });
 *     return { users: page.items, more: page.cursor !== undefined, total: await this.presence.groupUserCount(room) };
 *   }
 * }
 *
 * // Walking a large group page by page:
 * let cursor: string | undefined;
 * do {
 *   const page = await hubwire.hubContext(RoomHub).presence.groupConnections('lobby', { cursor, limit: 1000 });
 *   for (const { connectionId, nodeId } of page.items) console.log(connectionId, nodeId);
 *   cursor = page.cursor;
 * } while (cursor !== undefined);
 * ```
 */
export interface Presence {
  /** The connections in `group`, a page at a time. */
  groupConnections(group: string, options?: PageOptions): Promise<Page<PresenceConnection>>;
  /** How many connections are in `group`. */
  groupConnectionCount(group: string): Promise<number>;
  /** The distinct users with a connection in `group` (anonymous connections do not count), a page at a time. */
  groupUsers(group: string, options?: PageOptions): Promise<Page<string>>;
  /** How many distinct users have a connection in `group`. */
  groupUserCount(group: string): Promise<number>;
  /**
   * The groups of the hub that have at least one connection, ordered by name, a page at a time,
   * each with its connection count. A group exists while it has a member: the last one leaving
   * (or disconnecting) takes it out of the list.
   */
  groups(options?: PageOptions): Promise<Page<PresenceGroup>>;
  /** How many groups of the hub have at least one connection. */
  groupCount(): Promise<number>;
  /** Every connection of `user`, on every node, ordered by connection id. */
  userConnections(user: string): Promise<readonly PresenceConnection[]>;
  /** Whether `user` has at least one connection to this hub. */
  isUserOnline(user: string): Promise<boolean>;
  /** Connections of this hub over all nodes. */
  connectionCount(): Promise<number>;
  /** The nodes serving this hub, with their connection counts, ordered by node id. */
  nodes(): Promise<readonly PresenceNode[]>;
}

/** A page request, checked: the position after which the page starts, and its length. */
export interface ResolvedPage {
  /** The last item of the previous page (a connection id, a user id), or undefined. */
  readonly after: string | undefined;
  readonly limit: number;
}

/** Checks page options; a bad limit or cursor throws `HUB_ERR_INVALID_OPTION`. */
export function resolvePage(options: PageOptions | undefined): ResolvedPage {
  const limit = options?.limit ?? DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new HubwireError('HUB_ERR_INVALID_OPTION', `A page limit must be an integer from 1 to ${MAX_PAGE_LIMIT}; got ${String(limit)}.`);
  }
  const cursor = options?.cursor;
  if (cursor === undefined || cursor === null) return { after: undefined, limit };
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new HubwireError('HUB_ERR_INVALID_OPTION', 'The page cursor is not one a presence answer gave.');
  }
  return { after: Buffer.from(cursor, 'base64url').toString('utf8'), limit };
}

/** The cursor pointing after `last`: opaque to callers, so its layout may change. */
export function cursorAfter(last: string): string {
  return Buffer.from(last, 'utf8').toString('base64url');
}

/** Throws for a name that is not a non-empty string (as group changes do). */
export function requireName(value: string, what: 'group' | 'user'): string {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`A ${what} name must be a non-empty string.`);
  return value;
}

/**
 * The presence of a manager whose presence is switched off: every question throws
 * `HUB_ERR_PRESENCE_DISABLED` with `why`. For a {@link HubLifetimeManager} of your own that has no
 * presence to offer.
 *
 * @example
 * ```ts
 * class MyLifetimeManager implements HubLifetimeManager {
 *   readonly presence = disabledPresence('MyLifetimeManager keeps no presence.');
 *   // …
 * }
 * ```
 */
export function disabledPresence(why: string): Presence {
  const refuse = async (): Promise<never> => {
    throw new HubwireError('HUB_ERR_PRESENCE_DISABLED', why);
  };
  return {
    groupConnections: refuse,
    groupConnectionCount: refuse,
    groupUsers: refuse,
    groupUserCount: refuse,
    groups: refuse,
    groupCount: refuse,
    userConnections: refuse,
    isUserOnline: refuse,
    connectionCount: refuse,
    nodes: refuse,
  };
}
