/**
 * Group membership: connections in and out of groups, users in and out of groups (with Azure's
 * `ttl`, kept for the user's later connections), the existence checks, and the paged list of a
 * group's connections (2024-12-01). A user's connections on other nodes join and leave through
 * the backplane: presence names them, `groups.add` reaches them wherever they are.
 * @module
 */
import { HubwireError } from 'hubwire';
import type { HubTarget } from './hub-target.js';
import { DataPlaneError, NO_CONTENT, OK, type DataPlaneResult } from './results.js';
import { checkGroup, checkId, checkInteger } from './validation.js';

/** `PUT /api/hubs/{hub}/groups/{group}/connections/{connectionId}`: 200, or 404 `Error.Connection.NotExisted`. */
export async function addConnectionToGroup(hub: HubTarget, group: string, connectionId: string): Promise<DataPlaneResult> {
  const [name, id] = [checkGroup(group), checkId(connectionId, 'connectionId')];
  if (!(await hub.connections.exists(hub.path, id))) throw new DataPlaneError('Error.Connection.NotExisted', `Connection '${id}' does not exist.`);
  await hub.context.groups.add(id, name);
  return OK;
}

/** `DELETE /api/hubs/{hub}/groups/{group}/connections/{connectionId}`: 200, or 404 `Warning.Connection.NotExisted`. */
export async function removeConnectionFromGroup(hub: HubTarget, group: string, connectionId: string): Promise<DataPlaneResult> {
  const [name, id] = [checkGroup(group), checkId(connectionId, 'connectionId')];
  if (!(await hub.connections.exists(hub.path, id))) throw new DataPlaneError('Warning.Connection.NotExisted', `Connection '${id}' does not exist.`);
  await hub.context.groups.remove(id, name);
  return OK;
}

/**
 * `DELETE /api/hubs/{hub}/connections/{connectionId}/groups`: 200, or 404
 * `Warning.Connection.NotExisted`. The connection leaves every group it is in, wherever it is:
 * its node keeps its groups (connection-directory.ts) and answers them over the mesh.
 *
 * @example
 * ```ts
 * await removeConnectionFromAllGroups(hub, connectionId); // { status: 200 }
 * ```
 */
export async function removeConnectionFromAllGroups(hub: HubTarget, connectionId: string): Promise<DataPlaneResult> {
  const id = checkId(connectionId, 'connectionId');
  const facts = await hub.connections.describe(hub.path, id);
  if (facts === undefined) throw new DataPlaneError('Warning.Connection.NotExisted', `Connection '${id}' does not exist.`);
  await Promise.all(facts.groups.map((group) => hub.context.groups.remove(id, group)));
  return OK;
}

/** `HEAD /api/hubs/{hub}/groups/{group}`: 200 when a connection is in the group, else 404 `Warning.Group.NotExisted`. */
export async function groupExists(hub: HubTarget, group: string): Promise<DataPlaneResult> {
  const name = checkGroup(group);
  if ((await hub.context.presence.groupConnectionCount(name)) > 0) return OK;
  throw new DataPlaneError('Warning.Group.NotExisted', `Group '${name}' has no connection.`);
}

/**
 * `PUT /api/hubs/{hub}/users/{user}/groups/{group}?ttl=`: the user's connections of now join,
 * and (unless `ttl` is 0) so do the ones it opens before the ttl (seconds; none: a year) runs out.
 *
 * @example
 * ```ts
 * await addUserToGroup(hub, 'jane', 'room-1', 3600); // { status: 200 }
 * ```
 */
export async function addUserToGroup(hub: HubTarget, user: string, group: string, ttl?: number): Promise<DataPlaneResult> {
  const [id, name] = [checkId(user, 'user'), checkGroup(group)];
  const seconds = checkInteger(ttl, 'ttl', 0, 2_147_483_647);
  // The store first, presence second: a connection that opens meanwhile reads the store after
  // presence has it (connection-directory.ts), so it joins one way or the other.
  if (seconds !== 0) await hub.userGroups.add(hub.path, id, name, seconds);
  const ids = (await hub.context.presence.userConnections(id)).map((connection) => connection.connectionId);
  await Promise.all(ids.map((connectionId) => hub.context.groups.add(connectionId, name)));
  return OK;
}

/** `DELETE /api/hubs/{hub}/users/{user}/groups/{group}`: 204. */
export async function removeUserFromGroup(hub: HubTarget, user: string, group: string): Promise<DataPlaneResult> {
  const [id, name] = [checkId(user, 'user'), checkGroup(group)];
  await hub.userGroups.remove(hub.path, id, name);
  const ids = (await hub.context.presence.userConnections(id)).map((connection) => connection.connectionId);
  await Promise.all(ids.map((connectionId) => hub.context.groups.remove(connectionId, name)));
  return NO_CONTENT;
}

/**
 * `DELETE /api/hubs/{hub}/users/{user}/groups`: 204. The user leaves every group the data plane
 * put it in (its connections leave them too); groups its connections joined otherwise (a hub
 * method, a connection-level add) are left alone, since no node records a connection's groups.
 */
export async function removeUserFromAllGroups(hub: HubTarget, user: string): Promise<DataPlaneResult> {
  const id = checkId(user, 'user');
  const groups = await hub.userGroups.removeAll(hub.path, id);
  if (groups.length > 0) {
    const ids = (await hub.context.presence.userConnections(id)).map((connection) => connection.connectionId);
    await Promise.all(ids.flatMap((connectionId) => groups.map((group) => hub.context.groups.remove(connectionId, group))));
  }
  return NO_CONTENT;
}

/** `HEAD` (or `GET`, as Azure's SDK asks) `/api/hubs/{hub}/users/{user}/groups/{group}`: 200, or 404 `Info.User.NotInGroup`. */
export async function userInGroup(hub: HubTarget, user: string, group: string): Promise<DataPlaneResult> {
  const [id, name] = [checkId(user, 'user'), checkGroup(group)];
  if (await hub.userGroups.has(hub.path, id, name)) return OK;
  throw new DataPlaneError('Info.User.NotInGroup', `User '${id}' is not in group '${name}'.`);
}

/** The paging parameters of a list. */
export interface ListOptions {
  /** Items per page, 1–200 (default 200). */
  readonly maxpagesize?: number;
  /** Items over all pages (default: all). */
  readonly top?: number;
  /** The token of the previous page's `nextLink`. */
  readonly continuationToken?: string;
}

/**
 * `GET /api/hubs/{hub}/groups/{group}/connections` (2024-12-01): `{ value: [{ connectionId,
 * userId }], nextLink }`, ordered by connection id; `nextLink` (absent on the last page) is the
 * request URL with the next page's `continuationToken` and what is left of `top`.
 */
export async function listGroupConnections(hub: HubTarget, group: string, options: ListOptions = {}): Promise<DataPlaneResult> {
  const name = checkGroup(group);
  const { limit, top } = pageLimits(options);
  let page;
  try {
    page = await hub.context.presence.groupConnections(name, { cursor: options.continuationToken === '' ? undefined : options.continuationToken, limit });
  } catch (error) {
    if (error instanceof HubwireError && error.code === 'HUB_ERR_INVALID_OPTION') throw new DataPlaneError('InvalidArgument', 'The continuationToken is not one this API gave.', 'continuationToken');
    throw error;
  }
  const value = page.items.map(({ connectionId, userIdentifier }) => (userIdentifier === undefined ? { connectionId } : { connectionId, userId: userIdentifier }));
  return { status: 200, body: withNextLink({ value }, hub.requestUrl, page.cursor, top, value.length) };
}

/** The page length and the `top` left, checked. */
export function pageLimits(options: ListOptions): { limit: number; top: number | undefined } {
  const pageSize = checkInteger(options.maxpagesize, 'maxpagesize', 1, 200) ?? 200;
  const top = checkInteger(options.top, 'top', 1, 2_147_483_647);
  return { limit: Math.min(pageSize, top ?? pageSize), top };
}

/** `body` with a `nextLink` when there is a next page and `top` is not used up. */
export function withNextLink<T extends object>(body: T, requestUrl: string, cursor: string | undefined, top: number | undefined, returned: number): T & { nextLink?: string } {
  if (cursor === undefined || (top !== undefined && top - returned <= 0)) return body;
  const next = new URL(requestUrl);
  next.searchParams.set('continuationToken', cursor);
  if (top !== undefined) next.searchParams.set('top', String(top - returned));
  return { ...body, nextLink: next.toString() };
}
