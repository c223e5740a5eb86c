/**
 * Connections and users: existence checks, closing (one connection, the hub's, a group's, a
 * user's, with `excluded` and `reason`), `:invoke` (a client result, 2024-12-01), and beyond
 * Azure the member lists of a hub (connections, users) and of a user (connections, groups).
 *
 * A close ends the connection as Hubwire's `context.abort()` does: the client gets a Close
 * without error and does not reconnect. The `reason` is logged on the connection's node; the
 * library's abort carries no text to the client (Azure sends it as the Close's error).
 * @module
 */
import { HubError, HubwireError, type PresenceConnection } from 'hubwire';
import type { HubTarget } from './hub-target.js';
import { pageLimits, withNextLink, type ListOptions } from './group-operations.js';
import { DataPlaneError, NO_CONTENT, OK, type DataPlaneResult } from './results.js';
import { checkExcluded, checkGroup, checkId, checkReason, parsePayload } from './validation.js';

/** The protocols whose results `:invoke` answers without naming the protocol (Azure's rule). */
const STANDARD_PROTOCOLS: ReadonlySet<string> = new Set(['json', 'messagepack']);

/** What a close may carry. */
export interface CloseOptions {
  readonly excluded?: readonly string[];
  readonly reason?: string;
}

/** `HEAD /api/hubs/{hub}/connections/{connectionId}`: 200, or 404 `Warning.Connection.NotExisted`. */
export async function connectionExists(hub: HubTarget, connectionId: string): Promise<DataPlaneResult> {
  const id = checkId(connectionId, 'connectionId');
  if (await hub.connections.exists(hub.path, id)) return OK;
  throw new DataPlaneError('Warning.Connection.NotExisted', `Connection '${id}' does not exist.`);
}

/** `HEAD /api/hubs/{hub}/users/{user}`: 200 when the user has a connection, else 404 `Warning.User.NotExisted`. */
export async function userExists(hub: HubTarget, user: string): Promise<DataPlaneResult> {
  const id = checkId(user, 'user');
  if (await hub.context.presence.isUserOnline(id)) return OK;
  throw new DataPlaneError('Warning.User.NotExisted', `User '${id}' has no connection.`);
}

/**
 * `DELETE /api/hubs/{hub}/connections/{connectionId}?reason=`: 200, or 404
 * `Warning.Connection.NotExisted` (which Azure's SDK takes as done).
 */
export async function closeConnection(hub: HubTarget, connectionId: string, options: Pick<CloseOptions, 'reason'> = {}): Promise<DataPlaneResult> {
  const id = checkId(connectionId, 'connectionId');
  if ((await hub.connections.close(hub.path, { ids: [id] }, checkReason(options.reason))) > 0) return OK;
  throw new DataPlaneError('Warning.Connection.NotExisted', `Connection '${id}' does not exist.`);
}

/** `POST /api/hubs/{hub}/:closeConnections?excluded=&reason=`: 204. */
export async function closeAllConnections(hub: HubTarget, options: CloseOptions = {}): Promise<DataPlaneResult> {
  const [excluded, reason] = [checkExcluded(options.excluded), checkReason(options.reason)];
  await hub.connections.close(hub.path, { allExcept: excluded }, reason);
  return NO_CONTENT;
}

/** `POST /api/hubs/{hub}/groups/{group}/:closeConnections?excluded=&reason=`: 204. */
export async function closeGroupConnections(hub: HubTarget, group: string, options: CloseOptions = {}): Promise<DataPlaneResult> {
  const name = checkGroup(group);
  const [excluded, reason] = [checkExcluded(options.excluded), checkReason(options.reason)];
  const members: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await hub.context.presence.groupConnections(name, { cursor, limit: 1000 });
    members.push(...page.items.map((connection) => connection.connectionId));
    cursor = page.cursor;
  } while (cursor !== undefined);
  await hub.connections.close(hub.path, { ids: members.filter((id) => !excluded.includes(id)) }, reason);
  return NO_CONTENT;
}

/** `POST /api/hubs/{hub}/users/{user}/:closeConnections?excluded=&reason=`: 204. */
export async function closeUserConnections(hub: HubTarget, user: string, options: CloseOptions = {}): Promise<DataPlaneResult> {
  const id = checkId(user, 'user');
  const [excluded, reason] = [checkExcluded(options.excluded), checkReason(options.reason)];
  const connections = await hub.context.presence.userConnections(id);
  await hub.connections.close(hub.path, { ids: connections.map((connection) => connection.connectionId).filter((connectionId) => !excluded.includes(connectionId)) }, reason);
  return NO_CONTENT;
}

/**
 * `POST /api/hubs/{hub}/connections/{connectionId}/:invoke` (2024-12-01): invokes the client
 * method of the payload and answers Azure's `ClientInvocationResponse`, `200 { "result": … }`
 * with what the client returned, plus `"protocol"` (the client's hub protocol) when it is
 * neither `json` nor `messagepack`, as Azure's swagger says. A
 * missing connection is 404 `Warning.Connection.NotExisted`, a client error 502
 * `ClientInvocationFailed` (its text as the message), no answer within the timeout 504.
 *
 * @example
 * ```ts
 * await invokeConnection(hub, id, { target: 'GetLocation', arguments: [] }); // { status: 200, body: { result: … } }
 * ```
 */
export async function invokeConnection(hub: HubTarget, connectionId: string, body: unknown): Promise<DataPlaneResult> {
  const id = checkId(connectionId, 'connectionId');
  const payload = parsePayload(body);
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), hub.invokeTimeoutMs);
  // Asked beside the invocation, so a connection on another node costs no extra round trip.
  const facts = hub.connections.describe(hub.path, id).catch(() => undefined);
  try {
    const result = await hub.context.clients.client(id).invoke(payload.target, ...payload.arguments, timeout.signal);
    const protocol = (await facts)?.protocol;
    return { status: 200, body: { result: result ?? null, ...(protocol === undefined || STANDARD_PROTOCOLS.has(protocol) ? {} : { protocol }) } };
  } catch (error) {
    if (timeout.signal.aborted) throw new DataPlaneError('ClientInvocationTimeout', `The client did not answer within ${hub.invokeTimeoutMs} ms.`);
    if (error instanceof HubError) throw new DataPlaneError('ClientInvocationFailed', error.message);
    if (error instanceof HubwireError && error.code === 'HUB_ERR_CLIENT_RESULT') {
      if (error.message.includes('does not exist')) throw new DataPlaneError('Warning.Connection.NotExisted', `Connection '${id}' does not exist.`);
      throw new DataPlaneError('ClientInvocationFailed', error.message);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** `GET /api/hubs/{hub}/connections` (Hubwire): every connection of the hub, paged like a group's. */
export async function listHubConnections(hub: HubTarget, options: ListOptions = {}): Promise<DataPlaneResult> {
  const { limit, top } = pageLimits(options);
  const page = await hub.connections.list(hub.path, options.continuationToken, limit);
  const value = page.items.map(({ connectionId, userId }) => (userId === undefined ? { connectionId } : { connectionId, userId }));
  return { status: 200, body: withNextLink({ value }, hub.requestUrl, page.cursor, top, value.length) };
}

/** `GET /api/hubs/{hub}/users` (Hubwire): `{ value: [{ userId }], nextLink }`, the users with a connection, ordered. */
export async function listHubUsers(hub: HubTarget, options: ListOptions = {}): Promise<DataPlaneResult> {
  const { limit, top } = pageLimits(options);
  const page = await hub.connections.users(hub.path, options.continuationToken, limit);
  const value = page.items.map((userId) => ({ userId }));
  return { status: 200, body: withNextLink({ value }, hub.requestUrl, page.cursor, top, value.length) };
}

/** `GET /api/hubs/{hub}/users/{user}/connections` (Hubwire): `{ value: [{ connectionId, userId }] }`. */
export async function listUserConnections(hub: HubTarget, user: string): Promise<DataPlaneResult> {
  const id = checkId(user, 'user');
  const connections: readonly PresenceConnection[] = await hub.context.presence.userConnections(id);
  return { status: 200, body: { value: connections.map(({ connectionId }) => ({ connectionId, userId: id })) } };
}

/** `GET /api/hubs/{hub}/users/{user}/groups` (Hubwire): `{ value: [{ group }] }`, the groups the data plane put the user in. */
export async function listUserGroups(hub: HubTarget, user: string): Promise<DataPlaneResult> {
  const id = checkId(user, 'user');
  const groups = await hub.userGroups.groups(hub.path, id);
  return { status: 200, body: { value: groups.map((group) => ({ group })) } };
}
