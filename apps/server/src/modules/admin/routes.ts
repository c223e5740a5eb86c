/**
 * REST endpoints of the admin feature, under `/api/admin/realtime/`. `health` and `status` are
 * open; everything else needs a bearer token with the `admin` role.
 * @module
 */
import type { Clock } from 'hubwire';
import type { RestRoutes, RouteAuth, RouteOptions } from '../../app-context.js';
import type { AdminBroadcaster, Delivery, DeliveryKind } from './broadcaster.js';
import { parse, type AlertSeverity } from './payloads.js';
import type { PlatformStats } from './stats.js';

const BASE = '/api/admin/realtime';
const ADMIN: RouteAuth = { roles: ['admin'] };
const TAGS = ['admin'];

/**
 * A broadcast's options: its body must be an object (400 naming `body`); its fields are checked
 * by the kind's parser in payloads.ts, which the hub methods share (trimming, defaults, rules
 * across fields such as `active` ≤ `total`).
 */
const broadcast = (summary: string): RouteOptions => ({
  summary,
  tags: TAGS,
  schema: {
    body: { type: 'object', description: 'The fields of docs/rest-api.md "Broadcasts, alerts and notifications".' },
    response: { 200: { type: 'object', required: ['delivered', 'method', 'group', 'payload'], properties: { delivered: { const: true }, method: { type: 'string' }, group: { type: 'string' }, payload: { type: 'object' } } } },
  },
});

/** What the routes need. */
export interface AdminRouteServices {
  readonly broadcaster: AdminBroadcaster;
  readonly stats: () => Promise<PlatformStats>;
  readonly clock: Clock;
  readonly hubPath: string;
  readonly demo: boolean;
}

/** Registers every admin endpoint. */
export function registerAdminRoutes(routes: RestRoutes, services: AdminRouteServices): void {
  const { broadcaster, clock } = services;
  const now = () => new Date(clock.now()).toISOString();
  const answer = <P>(delivery: Delivery<P>) => ({ status: 200, body: { delivered: true, ...delivery } });
  const post = (path: string, kind: DeliveryKind, build: (body: unknown, user: string | undefined) => unknown) =>
    routes.add('POST', `${BASE}/${path}`, async ({ body, user }) => answer(await broadcaster.send(kind, build(body, user?.userIdentifier))), ADMIN, broadcast(`Send ${kind} to the admin hub's group.`));

  // health and status are open: their per-node breakdown names nodes and counts, not addresses or pids.
  routes.add('GET', `${BASE}/health`, async () => {
    const stats = await services.stats();
    const admins = (figures: { connections: PlatformStats['connections'] }) => figures.connections.byHub[services.hubPath] ?? 0;
    return {
      status: 200,
      body: {
        status: 'healthy',
        hub: services.hubPath,
        adminConnections: admins(stats),
        timestamp: stats.timestamp,
        nodes: stats.nodes.map((node) => ({ nodeId: node.nodeId, adminConnections: admins(node) })),
        partial: stats.partial,
      },
    };
  }, 'anonymous', { summary: 'Admin connections over the cluster and per node.', tags: TAGS });
  routes.add('GET', `${BASE}/status`, async () => {
    const stats = await services.stats();
    return {
      status: 200,
      body: {
        status: 'running',
        demo: services.demo,
        uptimeSeconds: stats.uptimeSeconds,
        connections: stats.connections,
        hubs: stats.hubs.map((hub) => hub.path),
        timestamp: stats.timestamp,
        nodes: stats.nodes.map((node) => ({ nodeId: node.nodeId, startedAt: node.startedAt, uptimeSeconds: node.uptimeSeconds, connections: node.connections })),
        partial: stats.partial,
      },
    };
  }, 'anonymous', { summary: 'Uptime, connections and hubs of the cluster and per node.', tags: TAGS });
  routes.add('GET', `${BASE}/platform-snapshot`, async () => ({ status: 200, body: await services.stats() }), ADMIN, { summary: 'Real figures of every node (the hub\'s GetPlatformStats).', tags: TAGS });

  post('broadcast/platform-update', 'platformStatus', (body) => parse.platformStatus(body, now()));
  post('broadcast/user-count', 'userCount', (body) => parse.userCount(body, now()));
  post('broadcast/generation-metrics', 'generationMetrics', (body) => parse.generationMetrics(body, now()));
  post('broadcast/revenue', 'revenue', (body) => parse.revenue(body, now()));
  post('broadcast/analytics', 'analytics', (body) => parse.analytics(body, now()));
  const alert = (severity?: AlertSeverity) => (body: unknown) => parse.alert(body, now(), severity);
  post('alert', 'alert', alert());
  post('alert/warning', 'alert', alert('warning'));
  post('alert/error', 'alert', alert('error'));
  post('alert/performance', 'performanceAlert', (body) => parse.performanceAlert(body, now()));
  post('notify/user-action', 'userAction', (body) => parse.userAction(body, now()));
  post('notify/role-assignment', 'roleAssignment', (body, user) => parse.roleAssignment(body, now(), user));
  post('notify/system-event', 'systemEvent', (body) => parse.systemEvent(body, now()));
}
