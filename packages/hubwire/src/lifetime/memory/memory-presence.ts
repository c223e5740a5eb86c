/**
 * Presence of one process, read from the {@link MemoryLifetimeManager}'s own index.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { LifetimeConnection } from '../hub-lifetime-manager.js';
import { cursorAfter, requireName, resolvePage, type Page, type PageOptions, type Presence, type PresenceConnection, type PresenceGroup, type PresenceNode } from '../presence.js';

/** The node id of this process when no other is given: every memory manager of it shares it. */
export const processNodeId: string = randomBytes(8).toString('hex');

/** What presence reads of the manager's index (an entry per connection, sets per group and user). */
export interface PresenceIndex<E extends { readonly connection: LifetimeConnection }> {
  readonly connections: ReadonlyMap<string, E>;
  readonly groups: ReadonlyMap<string, ReadonlySet<E>>;
  readonly users: ReadonlyMap<string, ReadonlySet<E>>;
}

/**
 * Answers presence from maps the manager keeps anyway, so it costs nothing until asked. A page
 * sorts the group's ids, which is fine for one process's groups; the Redis backplane keeps its
 * groups sorted instead.
 */
export class MemoryPresence<E extends { readonly connection: LifetimeConnection }> implements Presence {
  constructor(
    readonly nodeId: string,
    readonly index: PresenceIndex<E>,
  ) {}

  async groupConnections(group: string, options?: PageOptions): Promise<Page<PresenceConnection>> {
    const { after, limit } = resolvePage(options);
    const members = [...(this.index.groups.get(requireName(group, 'group')) ?? [])].map((entry) => entry.connection);
    const page = pageOf(members.map((connection) => connection.connectionId), after, limit);
    const byId = new Map(members.map((connection) => [connection.connectionId, connection]));
    return { items: page.items.map((id) => this.#describe(byId.get(id)!)), cursor: page.cursor };
  }

  async groupConnectionCount(group: string): Promise<number> {
    return this.index.groups.get(requireName(group, 'group'))?.size ?? 0;
  }

  async groupUsers(group: string, options?: PageOptions): Promise<Page<string>> {
    const { after, limit } = resolvePage(options);
    return pageOf(this.#usersOf(requireName(group, 'group')), after, limit);
  }

  async groupUserCount(group: string): Promise<number> {
    return this.#usersOf(requireName(group, 'group')).length;
  }

  async groups(options?: PageOptions): Promise<Page<PresenceGroup>> {
    const { after, limit } = resolvePage(options);
    const page = pageOf([...this.index.groups.keys()], after, limit);
    return { items: page.items.map((group) => ({ group, connections: this.index.groups.get(group)?.size ?? 0 })), cursor: page.cursor };
  }

  async groupCount(): Promise<number> {
    return this.index.groups.size;
  }

  async userConnections(user: string): Promise<readonly PresenceConnection[]> {
    const entries = [...(this.index.users.get(requireName(user, 'user')) ?? [])];
    return entries.map((entry) => this.#describe(entry.connection)).sort((a, b) => compare(a.connectionId, b.connectionId));
  }

  async isUserOnline(user: string): Promise<boolean> {
    return this.index.users.has(requireName(user, 'user'));
  }

  async connectionCount(): Promise<number> {
    return this.index.connections.size;
  }

  async nodes(): Promise<readonly PresenceNode[]> {
    return [{ nodeId: this.nodeId, connections: this.index.connections.size, lastHeartbeat: Date.now() }];
  }

  #usersOf(group: string): string[] {
    const users = new Set<string>();
    for (const entry of this.index.groups.get(group) ?? []) {
      const user = entry.connection.userIdentifier;
      if (user !== undefined) users.add(user);
    }
    return [...users];
  }

  #describe(connection: LifetimeConnection): PresenceConnection {
    return { connectionId: connection.connectionId, userIdentifier: connection.userIdentifier, nodeId: this.nodeId };
  }
}

/** Code-unit order: stable and the same for every caller, which is all a cursor needs. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function pageOf(keys: string[], after: string | undefined, limit: number): Page<string> {
  const rest = (after === undefined ? keys : keys.filter((key) => key > after)).sort(compare);
  const items = rest.slice(0, limit);
  return { items, cursor: rest.length > limit ? cursorAfter(items[items.length - 1]!) : undefined };
}
