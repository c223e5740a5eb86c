/**
 * The Azure SignalR-compatible data plane (issue 11), HTTP-agnostic: every operation of Azure's
 * data-plane REST API (2022-06-01 and 2024-12-01) as a function over a hub, its authentication
 * (access-key JWTs with `aud` = the request URL, or the key itself) and the services they need
 * across nodes, and the HTTP routes that serve them ({@link registerDataPlaneRoutes});
 * docs/rest-api.md says what each answers.
 *
 * @example
 * ```ts
 * const dataPlane = createDataPlane({ accessKeys: config.dataPlane.accessKeys, cluster, logger });
 * const hubwire = createHubServer({ filters: [dataPlane.filter] });
 * hubwire.mapHub('/hubs/chat', ChatHub);
 * registerDataPlaneRoutes(router, dataPlane);
 * await dataPlane.start(hubwire);
 * const { status } = await dataPlane.run({ url, authorization }, { hub: 'chat' }, (hub) => sendToHub(hub, { target: 'news', arguments: ['hi'] }));
 * ```
 * @module
 */
export { createDataPlane, dataPlaneOf, DataPlane, type DataPlaneOptions, type DataPlaneRequest, type RouteTarget } from './data-plane.js';
export { API_VERSIONS, checkApiVersion, type ApiVersion } from './api-version.js';
export { AccessKeys, audienceMatches, type Credential } from './access-keys.js';
export { resolveHubPath, hubNameOf } from './hub-names.js';
export { DataPlaneError, FAILURES, errorBody, type DataPlaneResult, type FailureCode, type ErrorKind } from './results.js';
export type { HubTarget } from './hub-target.js';
export { sendToHub, sendToConnection, sendToGroup, sendToUser, type SendOptions } from './send-operations.js';
export {
  addConnectionToGroup,
  removeConnectionFromGroup,
  removeConnectionFromAllGroups,
  groupExists,
  addUserToGroup,
  removeUserFromGroup,
  removeUserFromAllGroups,
  userInGroup,
  listGroupConnections,
  type ListOptions,
} from './group-operations.js';
export {
  connectionExists,
  userExists,
  closeConnection,
  closeAllConnections,
  closeGroupConnections,
  closeUserConnections,
  invokeConnection,
  listHubConnections,
  listHubUsers,
  listUserConnections,
  listUserGroups,
  type CloseOptions,
} from './connection-operations.js';
export { execute, parseCommands, type SignalRCommand } from './execute.js';
export { generateClientToken, clientAudience, USER_ID_CLAIM, DEFAULT_MINUTES_TO_EXPIRE, type ClientTokenOptions } from './client-tokens.js';
export { parseFilter, type ConnectionFilter } from './odata-filter.js';
export { registerDataPlaneRoutes, requestUrl } from './routes.js';
