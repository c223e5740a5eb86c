/**
 * The operator API as the console reads it (`/api/operator/…`, admin only; docs/rest-api.md
 * "Operator API"): the answers' types and the paths. Hubs are named by the last segment of
 * their path (`chat` for `/hubs/chat`).
 * @module
 */

/** The transports as the operator API names them. */
export type OperatorTransport = 'web_sockets' | 'server_sent_events' | 'long_polling';

export const TRANSPORT_LABELS: Readonly<Record<OperatorTransport, string>> = { web_sockets: 'WebSockets', server_sent_events: 'SSE', long_polling: 'long polling' };

export interface SlowConsumerCounts {
  readonly disconnects: number;
  readonly sendTimeouts: number;
  readonly drops: number;
  readonly conflated: number;
  readonly total: number;
}

export interface ErrorCounts {
  readonly invocations: number;
  readonly protocol: number;
  readonly handshakes: number;
  readonly clientTimeouts: number;
  readonly backplane: number;
  readonly presence: number;
  readonly total: number;
}

/** The figures of one hub, or of all. */
export interface OverviewFigures {
  readonly connections: number;
  readonly groups: number | null;
  readonly byTransport: Readonly<Record<OperatorTransport, number>>;
  readonly byProtocol: Readonly<Record<string, number>>;
  readonly messagesReceived: number;
  readonly messagesSent: number;
  readonly invocations: number;
  readonly slowConsumer: SlowConsumerCounts;
  readonly errors: ErrorCounts;
}

export interface OverviewNode {
  readonly nodeId: string;
  readonly url: string | null;
  readonly startedAt: string;
  readonly alive: boolean;
  readonly lastSeen: string;
  readonly connections: number;
}

/** `GET /api/operator/overview`. */
export interface Overview {
  readonly timestamp: string;
  readonly nodeId: string;
  readonly scope: 'cluster' | 'node';
  readonly totals: OverviewFigures;
  readonly hubs: readonly (OverviewFigures & { readonly hub: string; readonly path: string })[];
  readonly nodes: readonly OverviewNode[];
}

export interface HubRates {
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly invocations: number;
  readonly invocationErrors: number;
  readonly slowConsumerActions: number;
  readonly connections: number;
}

/** `GET /api/operator/series`. */
export interface Series {
  readonly intervalSeconds: number;
  readonly windowSeconds: number;
  readonly hubs: readonly { readonly hub: string; readonly path: string }[];
  readonly points: readonly { readonly timestamp: string; readonly seconds: number; readonly scope: 'cluster' | 'node'; readonly totals: HubRates; readonly hubs: Readonly<Record<string, HubRates>> }[];
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly cursor: string | null;
}

/** `GET /api/operator/hubs/{hub}/groups`. */
export interface HubGroups {
  readonly hub: string;
  readonly path: string;
  readonly groupCount: number;
  readonly groups: Page<{ readonly group: string; readonly connections: number }>;
}

export interface GroupMember {
  readonly connectionId: string;
  readonly userId: string | null;
  readonly nodeId: string;
}

/** `GET /api/operator/hubs/{hub}/groups/{group}`. */
export interface GroupMembers {
  readonly hub: string;
  readonly path: string;
  readonly group: string;
  readonly connectionCount: number;
  readonly userCount: number;
  readonly connections: Page<GroupMember>;
  readonly users: Page<string>;
}

export interface UserConnection extends GroupMember {
  readonly hub: string;
  readonly path: string;
  readonly transport: OperatorTransport | null;
  readonly protocol: string | null;
  readonly connectedAt: string | null;
  readonly groups: readonly string[] | null;
}

/** `GET /api/operator/users/{user}/connections`. */
export interface UserConnections {
  readonly user: string;
  readonly online: boolean;
  readonly connections: readonly UserConnection[];
}

/** Who a test message goes to. */
export type SendTarget = { readonly all: true } | { readonly group: string } | { readonly user: string } | { readonly connection: string };

/** `POST /api/operator/hubs/{hub}/send`'s body. */
export interface SendRequest {
  readonly target: SendTarget;
  readonly method: string;
  readonly args?: readonly unknown[];
}

/** Its answer. */
export interface SendReceipt {
  readonly sent: true;
  readonly hub: string;
  readonly path: string;
  readonly target: SendTarget;
  readonly method: string;
  readonly recipients: number;
}

const BASE = '/api/operator';
const segment = encodeURIComponent;

/** The paths of the operator API. */
export const operatorPaths = {
  overview: () => `${BASE}/overview`,
  series: (window?: string) => `${BASE}/series${window === undefined ? '' : `?window=${segment(window)}`}`,
  groups: (hub: string, limit = 100) => `${BASE}/hubs/${segment(hub)}/groups?limit=${limit}`,
  group: (hub: string, group: string, limit = 100) => `${BASE}/hubs/${segment(hub)}/groups/${segment(group)}?limit=${limit}`,
  userConnections: (user: string) => `${BASE}/users/${segment(user)}/connections`,
  send: (hub: string) => `${BASE}/hubs/${segment(hub)}/send`,
  disconnect: (hub: string, connectionId: string, reason?: string) => `${BASE}/hubs/${segment(hub)}/connections/${segment(connectionId)}${reason === undefined || reason === '' ? '' : `?reason=${segment(reason)}`}`,
};
