/**
 * The operator API, `/api/operator/…`, admin role only: the console's overview, its time series,
 * presence (groups, members, a user's connections) and its two actions (a test message, a
 * disconnect). Hubs are named as the data plane names them (`chat` for `/hubs/chat`); an unknown
 * one is `404`. docs/rest-api.md "Operator API" describes every answer.
 * @module
 */
import type { HubServer } from 'hubwire';
import type { Logger } from 'pino';
import type { RestRequest, RestRoutes, RouteAuth } from '../../app-context.js';
import { hubNameOf, resolveHubPath, type HubTarget } from '../data-plane/index.js';
import { disconnect, sendTestMessage, type TestMessage } from './actions.js';
import { answering } from './errors.js';
import { describeGroup, listGroups, userConnections, type GroupQuery, type PageQuery } from './members.js';
import type { Overview } from './overview.js';
import { DISCONNECT, GROUP, GROUPS, OVERVIEW, SEND, SERIES, USER_CONNECTIONS } from './schemas.js';
import type { SeriesSampler } from './series-sampler.js';
import { seriesAnswer, windowMs } from './series-view.js';

const BASE = '/api/operator';
const ADMIN: RouteAuth = { roles: ['admin'] };

/** What the routes need. */
export interface OperatorServices {
  readonly hubwire: HubServer;
  readonly hubPaths: () => readonly string[];
  readonly overview: () => Promise<Overview>;
  readonly sampler: SeriesSampler;
  /** Hub `path` with the data plane's services, for the request at `url`. */
  readonly target: (path: string, url: string) => HubTarget;
  readonly logger: Logger;
}

/** Registers every operator route. */
export function registerOperatorRoutes(routes: RestRoutes, services: OperatorServices): void {
  const { hubwire, logger } = services;
  /** The mapped path of the request's `:hub` (or `?hub=`); throws the data plane's 404 / 400. */
  const hubPath = (name: string) => resolveHubPath(services.hubPaths(), name);
  const query = <T>(request: RestRequest) => request.queryValues as T;
  const url = (request: RestRequest) => request.req.url ?? BASE;

  routes.add('GET', `${BASE}/overview`, async () => ({ status: 200, body: await services.overview() }), ADMIN, OVERVIEW);

  routes.add(
    'GET',
    `${BASE}/series`,
    (request) =>
      answering(async () => {
        const { window, hub } = query<{ window?: string; hub?: string }>(request);
        const paths = hub === undefined ? services.hubPaths() : [hubPath(hub)];
        return { status: 200, body: seriesAnswer(services.sampler, paths, window === undefined ? undefined : windowMs(window)) };
      }),
    ADMIN,
    SERIES,
  );

  routes.add(
    'GET',
    `${BASE}/hubs/:hub/groups`,
    (request) => answering(async () => ({ status: 200, body: await listGroups(hubwire, hubPath(request.params['hub'] ?? ''), query<PageQuery>(request)) })),
    ADMIN,
    GROUPS,
  );

  routes.add(
    'GET',
    `${BASE}/hubs/:hub/groups/:group`,
    (request) => answering(async () => ({ status: 200, body: await describeGroup(hubwire, hubPath(request.params['hub'] ?? ''), request.params['group'] ?? '', query<GroupQuery>(request)) })),
    ADMIN,
    GROUP,
  );

  routes.add(
    'GET',
    `${BASE}/users/:user/connections`,
    (request) => answering(async () => ({ status: 200, body: await userConnections(services.hubPaths(), request.params['user'] ?? '', (path) => services.target(path, url(request))) })),
    ADMIN,
    USER_CONNECTIONS,
  );

  routes.add(
    'POST',
    `${BASE}/hubs/:hub/send`,
    (request) =>
      answering(async () => {
        const path = hubPath(request.params['hub'] ?? '');
        const message = request.body as TestMessage;
        const receipt = await sendTestMessage(services.target(path, url(request)), message);
        logger.info({ hub: path, target: Object.keys(message.target)[0], method: message.method, recipients: receipt.recipients, by: request.user?.userIdentifier }, 'operator sent a test message');
        return { status: 202, body: { ...receipt, hub: hubNameOf(path), path } };
      }),
    ADMIN,
    SEND,
  );

  routes.add(
    'DELETE',
    `${BASE}/hubs/:hub/connections/:connectionId`,
    (request) =>
      answering(async () => {
        const path = hubPath(request.params['hub'] ?? '');
        const connectionId = request.params['connectionId'] ?? '';
        const { reason } = query<{ reason?: string }>(request);
        await disconnect(services.target(path, url(request)), connectionId, reason === '' ? undefined : reason);
        // Who asked, on the node asked; the connection's node logs the close itself.
        logger.info({ hub: path, connectionId, reason, by: request.user?.userIdentifier }, 'operator disconnected a connection');
        return { status: 200, body: { closed: true, hub: hubNameOf(path), path, connectionId, reason: reason === undefined || reason === '' ? null : reason } };
      }),
    ADMIN,
    DISCONNECT,
  );
}
