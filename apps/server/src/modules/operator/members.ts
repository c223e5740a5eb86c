/**
 * Who is where, from presence (over every node): a hub's groups, a group's connections and users,
 * and a user's connections on every hub — each connection with its node and, from the data
 * plane's connection directory (this node's, or the node that has it, over the node mesh), its
 * transport, protocol, groups and when it connected.
 * @module
 */
import { TransportAttribute, type HubServer, type PresenceConnection } from 'hubwire';
import { hubNameOf, type HubTarget } from '../data-plane/index.js';

/** A page of presence answers as the operator API sends it. */
export interface OperatorPage<T> {
  readonly items: readonly T[];
  /** Pass it back as the cursor for the next page; null on the last page. */
  readonly cursor: string | null;
}

/** A connection as a group's member list shows it. */
export interface MemberConnection {
  readonly connectionId: string;
  readonly userId: string | null;
  readonly nodeId: string;
}

/** A user's connection, with what its node knows of it. */
export interface UserConnection extends MemberConnection {
  readonly hub: string;
  readonly path: string;
  /** `web_sockets`, `server_sent_events`, `long_polling`; null when its node did not say. */
  readonly transport: string | null;
  readonly protocol: string | null;
  /** ISO time it connected; null when its node did not say. */
  readonly connectedAt: string | null;
  readonly groups: readonly string[] | null;
}

/** At most this many of a user's connections are described (the rest are listed without). */
export const DESCRIBED_CONNECTIONS = 100;

/** Page options as the routes read them (checked by their schemas). */
export interface PageQuery {
  readonly limit?: number;
  readonly cursor?: string;
}

/** A group's page options: one length, a cursor per list. */
export interface GroupQuery {
  readonly limit?: number;
  readonly connectionCursor?: string;
  readonly userCursor?: string;
}

/** `GET /api/operator/hubs/:hub/groups`: the hub's groups with their connection counts. */
export async function listGroups(hubwire: HubServer, path: string, query: PageQuery) {
  const presence = hubwire.hubContext(path).presence;
  const [page, count] = await Promise.all([presence.groups(query), presence.groupCount()]);
  return { hub: hubNameOf(path), path, groupCount: count, groups: { items: page.items, cursor: page.cursor ?? null } satisfies OperatorPage<unknown> };
}

/** `GET /api/operator/hubs/:hub/groups/:group`: a group's counts and a page of its connections and of its users. */
export async function describeGroup(hubwire: HubServer, path: string, group: string, query: GroupQuery) {
  const presence = hubwire.hubContext(path).presence;
  const limit = query.limit === undefined ? {} : { limit: query.limit };
  const [connections, users, connectionCount, userCount] = await Promise.all([
    presence.groupConnections(group, { ...limit, cursor: query.connectionCursor }),
    presence.groupUsers(group, { ...limit, cursor: query.userCursor }),
    presence.groupConnectionCount(group),
    presence.groupUserCount(group),
  ]);
  return {
    hub: hubNameOf(path),
    path,
    group,
    connectionCount,
    userCount,
    connections: { items: connections.items.map(member), cursor: connections.cursor ?? null } satisfies OperatorPage<MemberConnection>,
    users: { items: users.items, cursor: users.cursor ?? null } satisfies OperatorPage<string>,
  };
}

/**
 * `GET /api/operator/users/:user/connections`: the user's connections on every hub, ordered by
 * hub then connection id. `targets` gives each hub path with the data plane's services.
 */
export async function userConnections(hubPaths: readonly string[], user: string, target: (path: string) => HubTarget) {
  const found = (
    await Promise.all(
      hubPaths.map(async (path) => {
        const hub = target(path);
        return (await hub.context.presence.userConnections(user)).map((connection) => ({ hub, connection }));
      }),
    )
  ).flat();
  const connections = await Promise.all(
    found.map(async ({ hub, connection }, index): Promise<UserConnection> => {
      // Wherever the connection is: this node's directory at once, another node's over the mesh.
      const facts = index < DESCRIBED_CONNECTIONS ? await hub.connections.describe(hub.path, connection.connectionId).catch(() => undefined) : undefined;
      return {
        hub: hubNameOf(hub.path),
        path: hub.path,
        ...member(connection),
        transport: facts?.transport === undefined ? null : TransportAttribute[facts.transport],
        protocol: facts?.protocol ?? null,
        connectedAt: facts?.connectedAt === undefined ? null : new Date(facts.connectedAt).toISOString(),
        groups: facts?.groups ?? null,
      };
    }),
  );
  return { user, online: connections.length > 0, connections };
}

function member(connection: PresenceConnection): MemberConnection {
  return { connectionId: connection.connectionId, userId: connection.userIdentifier ?? null, nodeId: connection.nodeId };
}
