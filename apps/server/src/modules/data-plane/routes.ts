/**
 * The data plane's HTTP routes: Azure SignalR's data-plane REST paths (`/api/hubs/{hub}/…`,
 * `HEAD /api/health`) on the app's routes facade. They do HTTP only — rebuild the URL the caller
 * addressed, read path, query, `Idempotency-Key` and body, hand them to {@link DataPlane.run}
 * with the matching operation, write its answer (status, Azure body, `x-ms-error-code`).
 *
 * The credential is checked twice: once before the body is read (an unauthenticated caller's
 * body is never parsed; the router answers its 401), once in `run`, which owns the order
 * api-version → credential → operation. A request whose api-version is wrong passes the first
 * check, so its 400 comes from `run` with Azure's code, as for an authenticated caller.
 * The route schemas only document (nothing in them can fail): every value is checked by the
 * operations, with Azure's codes and `target`s.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { Unauthorized, type JsonSchema, type RestFailure, type RestMethod, type RestRequest, type RestRoutes, type RouteAuth } from '../../app-context.js';
import type { ApiVersion } from './api-version.js';
import { checkApiVersion } from './api-version.js';
import { closeAllConnections, closeConnection, closeGroupConnections, closeUserConnections, connectionExists, invokeConnection, listHubConnections, listHubUsers, listUserConnections, listUserGroups, userExists } from './connection-operations.js';
import type { DataPlane } from './data-plane.js';
import { execute } from './execute.js';
import { generateClientToken } from './client-tokens.js';
import { addConnectionToGroup, addUserToGroup, groupExists, listGroupConnections, removeConnectionFromAllGroups, removeConnectionFromGroup, removeUserFromAllGroups, removeUserFromGroup, userInGroup, type ListOptions } from './group-operations.js';
import type { HubTarget } from './hub-target.js';
import { DataPlaneError, errorBody, type DataPlaneResult, type FailureCode } from './results.js';
import { sendToConnection, sendToGroup, sendToHub, sendToUser, type SendOptions } from './send-operations.js';

/** What an operation gets from the HTTP request. */
interface Call {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly req: IncomingMessage;
}

interface DataPlaneRoute {
  readonly method: RestMethod;
  /** The facade's syntax: `:name` parameters, `::` a literal colon. */
  readonly path: string;
  readonly summary: string;
  readonly since?: ApiVersion;
  /** Query parameters documented in the OpenAPI document (beside `api-version`). */
  readonly query?: readonly string[];
  readonly body?: JsonSchema;
  readonly operation: (hub: HubTarget, call: Call) => Promise<DataPlaneResult>;
}

const PAYLOAD: JsonSchema = {
  description: "Azure's PayloadMessage: the client method and its arguments.",
  properties: { target: { description: 'The client method.' }, arguments: { description: 'Its arguments (an array; may be left out).' } },
  examples: [{ target: 'newMessage', arguments: ['hello'] }],
};
const COMMANDS: JsonSchema = {
  description: '1 to 100 commands: SendMessage {message}, JoinGroup / LeaveGroup {group}, CloseConnection {reason?}.',
  examples: [[{ type: 'JoinGroup', group: 'listeners' }, { type: 'SendMessage', message: { target: 'welcome', arguments: [] } }]],
};
const QUERY_DOCS: Readonly<Record<string, string>> = {
  'api-version': '2022-06-01 or 2024-12-01 (required).',
  excluded: 'A connection id that does not get it (repeatable).',
  reason: 'Why the connections are closed (logged; at most 1024 characters).',
  ttl: 'Seconds the membership lasts for later connections (none: a year; 0: the connections of now only).',
  maxpagesize: 'Items per page, 1–200 (default 200).',
  top: 'Items over all pages.',
  continuationToken: "The token of the previous page's nextLink.",
  filter: 'An OData filter over userId, connectionId and groups.',
  application: 'The application prefix of the hub name.',
  userId: 'The user id the token carries (asrs.s.uid and nameid).',
  minutesToExpire: 'Minutes the token is valid: at least 1 (default 60).',
  role: 'A role claim of the token (repeatable).',
  group: 'A group claim of the token (repeatable).',
};

const p = (call: Call, name: string): string => call.params[name] ?? '';
const sendOptions = (call: Call): SendOptions => {
  const key = call.req.headers['idempotency-key'];
  return { excluded: call.query.getAll('excluded'), ...(typeof key === 'string' ? { idempotencyKey: key } : {}) };
};
const closeOptions = (call: Call) => ({ excluded: call.query.getAll('excluded'), ...optional('reason', call.query.get('reason')) });
const listOptions = (call: Call): ListOptions => ({
  ...optional('maxpagesize', integer(call.query.get('maxpagesize'))),
  ...optional('top', integer(call.query.get('top'))),
  ...optional('continuationToken', call.query.get('continuationToken')),
});

/** Every data-plane route, Azure's first, then Hubwire's member lists. */
const ROUTES: readonly DataPlaneRoute[] = [
  { method: 'POST', path: '/api/hubs/:hub/::send', summary: 'Send to every connection of the hub.', query: ['excluded'], body: PAYLOAD, operation: (hub, call) => sendToHub(hub, call.body, sendOptions(call)) },
  { method: 'POST', path: '/api/hubs/:hub/connections/:connectionId/::send', summary: 'Send to a connection.', body: PAYLOAD, operation: (hub, call) => sendToConnection(hub, p(call, 'connectionId'), call.body, sendOptions(call)) },
  { method: 'POST', path: '/api/hubs/:hub/groups/:group/::send', summary: 'Send to a group.', query: ['excluded'], body: PAYLOAD, operation: (hub, call) => sendToGroup(hub, p(call, 'group'), call.body, sendOptions(call)) },
  { method: 'POST', path: '/api/hubs/:hub/users/:user/::send', summary: 'Send to every connection of a user.', body: PAYLOAD, operation: (hub, call) => sendToUser(hub, p(call, 'user'), call.body, sendOptions(call)) },
  { method: 'PUT', path: '/api/hubs/:hub/groups/:group/connections/:connectionId', summary: 'Add a connection to a group.', operation: (hub, call) => addConnectionToGroup(hub, p(call, 'group'), p(call, 'connectionId')) },
  { method: 'DELETE', path: '/api/hubs/:hub/groups/:group/connections/:connectionId', summary: 'Remove a connection from a group.', operation: (hub, call) => removeConnectionFromGroup(hub, p(call, 'group'), p(call, 'connectionId')) },
  { method: 'DELETE', path: '/api/hubs/:hub/connections/:connectionId/groups', summary: 'Remove a connection from all its groups.', operation: (hub, call) => removeConnectionFromAllGroups(hub, p(call, 'connectionId')) },
  { method: 'PUT', path: '/api/hubs/:hub/users/:user/groups/:group', summary: 'Add a user to a group (its later connections too, for ttl).', query: ['ttl'], operation: (hub, call) => addUserToGroup(hub, p(call, 'user'), p(call, 'group'), integer(call.query.get('ttl'))) },
  { method: 'DELETE', path: '/api/hubs/:hub/users/:user/groups/:group', summary: 'Remove a user from a group.', operation: (hub, call) => removeUserFromGroup(hub, p(call, 'user'), p(call, 'group')) },
  { method: 'HEAD', path: '/api/hubs/:hub/users/:user/groups/:group', summary: 'Is the user in the group?', operation: (hub, call) => userInGroup(hub, p(call, 'user'), p(call, 'group')) },
  // Azure's .NET SDK asks with GET.
  { method: 'GET', path: '/api/hubs/:hub/users/:user/groups/:group', summary: 'Is the user in the group? (as HEAD)', operation: (hub, call) => userInGroup(hub, p(call, 'user'), p(call, 'group')) },
  { method: 'DELETE', path: '/api/hubs/:hub/users/:user/groups', summary: 'Remove a user from every group the data plane put it in.', operation: (hub, call) => removeUserFromAllGroups(hub, p(call, 'user')) },
  { method: 'HEAD', path: '/api/hubs/:hub/connections/:connectionId', summary: 'Does the connection exist?', operation: (hub, call) => connectionExists(hub, p(call, 'connectionId')) },
  { method: 'HEAD', path: '/api/hubs/:hub/groups/:group', summary: 'Has the group a connection?', operation: (hub, call) => groupExists(hub, p(call, 'group')) },
  { method: 'HEAD', path: '/api/hubs/:hub/users/:user', summary: 'Has the user a connection?', operation: (hub, call) => userExists(hub, p(call, 'user')) },
  { method: 'DELETE', path: '/api/hubs/:hub/connections/:connectionId', summary: 'Close a connection.', query: ['reason'], operation: (hub, call) => closeConnection(hub, p(call, 'connectionId'), optional('reason', call.query.get('reason'))) },
  { method: 'POST', path: '/api/hubs/:hub/::closeConnections', summary: 'Close every connection of the hub.', query: ['excluded', 'reason'], operation: (hub, call) => closeAllConnections(hub, closeOptions(call)) },
  { method: 'POST', path: '/api/hubs/:hub/groups/:group/::closeConnections', summary: "Close a group's connections.", query: ['excluded', 'reason'], operation: (hub, call) => closeGroupConnections(hub, p(call, 'group'), closeOptions(call)) },
  { method: 'POST', path: '/api/hubs/:hub/users/:user/::closeConnections', summary: "Close a user's connections.", query: ['excluded', 'reason'], operation: (hub, call) => closeUserConnections(hub, p(call, 'user'), closeOptions(call)) },
  { method: 'GET', path: '/api/hubs/:hub/groups/:group/connections', since: '2024-12-01', summary: "A group's connections, paged.", query: ['maxpagesize', 'top', 'continuationToken'], operation: (hub, call) => listGroupConnections(hub, p(call, 'group'), listOptions(call)) },
  { method: 'POST', path: '/api/hubs/:hub/connections/:connectionId/::invoke', since: '2024-12-01', summary: 'Invoke a client method on a connection and answer its result.', body: PAYLOAD, operation: (hub, call) => invokeConnection(hub, p(call, 'connectionId'), call.body) },
  { method: 'POST', path: '/api/hubs/:hub/::execute', since: '2024-12-01', summary: 'Apply commands to the connections a filter matches.', query: ['filter'], body: COMMANDS, operation: (hub, call) => execute(hub, call.body, call.query.get('filter') ?? undefined) },
  {
    method: 'POST',
    path: '/api/hubs/:hub/::generateToken',
    since: '2024-12-01',
    summary: 'A client access token for the hub (Azure\'s client-token format).',
    query: ['userId', 'minutesToExpire', 'role', 'group'],
    operation: (hub, call) =>
      generateClientToken(hub, {
        ...optional('userId', call.query.get('userId')),
        ...optional('minutesToExpire', integer(call.query.get('minutesToExpire'))),
        roles: call.query.getAll('role'),
        groups: call.query.getAll('group'),
      }),
  },
  { method: 'GET', path: '/api/hubs/:hub/connections', summary: "The hub's connections, paged (Hubwire).", query: ['maxpagesize', 'top', 'continuationToken'], operation: (hub, call) => listHubConnections(hub, listOptions(call)) },
  { method: 'GET', path: '/api/hubs/:hub/users', summary: 'The users with a connection, paged (Hubwire).', query: ['maxpagesize', 'top', 'continuationToken'], operation: (hub, call) => listHubUsers(hub, listOptions(call)) },
  { method: 'GET', path: '/api/hubs/:hub/users/:user/connections', summary: "A user's connections (Hubwire).", operation: (hub, call) => listUserConnections(hub, p(call, 'user')) },
  { method: 'GET', path: '/api/hubs/:hub/users/:user/groups', summary: 'The groups the data plane put a user in (Hubwire).', operation: (hub, call) => listUserGroups(hub, p(call, 'user')) },
];

/**
 * Registers the data plane's routes on the app's routes facade.
 *
 * @example
 * ```ts
 * const dataPlane = createDataPlane({ accessKeys: config.dataPlane.accessKeys, cluster, logger });
 * registerDataPlaneRoutes(router, dataPlane); // POST /api/hubs/chat/:send?api-version=2022-06-01 → 202
 * ```
 */
export function registerDataPlaneRoutes(routes: RestRoutes, dataPlane: DataPlane): void {
  routes.add('HEAD', '/api/health', ({ req }) => dataPlane.health({ url: requestUrl(req) }), 'anonymous', {
    summary: 'Is the data plane up (200 for a served api-version)?',
    tags: ['data plane'],
    schema: { querystring: querySchema([]) },
    errorBody: azureError,
    errorHeaders: azureErrorHeaders,
  });
  for (const route of ROUTES) {
    const since = route.since ?? '2022-06-01';
    const auth: RouteAuth = { custom: ({ req }) => precheck(dataPlane, req, since), scheme: 'AccessKey' };
    const handler = ({ req, params, query, body }: RestRequest): Promise<DataPlaneResult> =>
      dataPlane.run({ url: requestUrl(req), authorization: req.headers.authorization }, { hub: params['hub'] ?? '', since }, (hub) => route.operation(hub, { params, query, body, req }));
    routes.add(route.method, route.path, handler, auth, {
      summary: `${route.summary}${route.since === undefined ? '' : ` Since ${route.since}.`}`,
      tags: ['data plane'],
      schema: { querystring: querySchema(route.query ?? []), ...(route.body === undefined ? {} : { body: route.body, bodyOptional: true }) },
      errorBody: azureError,
      errorHeaders: azureErrorHeaders,
    });
  }
}

/**
 * The credential check before the body is read. A wrong api-version is let through: `run`
 * checks it first and answers it with Azure's code.
 */
async function precheck(dataPlane: DataPlane, req: IncomingMessage, since: ApiVersion): Promise<undefined> {
  const url = requestUrl(req);
  try {
    const parsed = new URL(url);
    checkApiVersion(parsed.searchParams, parsed.pathname, since);
  } catch {
    return undefined;
  }
  try {
    await dataPlane.authenticate({ url, authorization: req.headers.authorization });
  } catch (error) {
    if (error instanceof DataPlaneError) throw new Unauthorized(error.message);
    throw error;
  }
  return undefined;
}

/**
 * The absolute URL the caller addressed, which an Azure-style token's `aud` names. The scheme
 * is not compared (see access-keys.ts); the host is the `Host` header, so a proxy in front must
 * pass it on unchanged.
 */
export function requestUrl(req: IncomingMessage): string {
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  return `${encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
}

/** The Azure code of a failure the HTTP layer answers itself (unreadable body, 401 before the body, 429). */
function failureCode(failure: RestFailure): FailureCode {
  if (failure.status === 401) return 'Unauthorized';
  if (failure.status === 403) return 'Forbidden';
  if (failure.status === 429) return 'TooManyRequests';
  return failure.status >= 500 ? 'InternalServerError' : 'InvalidArgument';
}

/** Those failures' body: the same Azure error body as the operations' own. */
function azureError(failure: RestFailure): unknown {
  const target = failure.field ?? (failure.status === 413 || failure.status === 415 ? 'body' : undefined);
  return { ...errorBody(failureCode(failure), failure.message, target), statusCode: failure.status };
}

/** …and their `x-ms-error-code`, as every other data-plane error has. */
function azureErrorHeaders(failure: RestFailure): Readonly<Record<string, string>> {
  return { 'x-ms-error-code': failureCode(failure) };
}

/** A query schema that documents; nothing in it can fail (the operations check every value). */
function querySchema(names: readonly string[]): JsonSchema {
  const properties = Object.fromEntries(['api-version', ...names, 'application'].map((name) => [name, { description: QUERY_DOCS[name] ?? name }]));
  return { type: 'object', properties };
}

/** A query integer, or NaN for a value that is not one (the operation's check names it). */
function integer(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  return /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
}

function optional<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return (value === null || value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
