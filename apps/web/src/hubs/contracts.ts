/**
 * The hubs as this app sees them: for each hub, `<Name>Server` (the methods the app invokes,
 * named and typed as the hub class declares them — SignalR matches names case-insensitively) and
 * `<Name>Client` (the methods the server calls, as the hub's client interface names them).
 *
 * These are copies, so the browser bundle needs none of the server's code; test/web/contracts.typecheck.ts
 * checks each against the server's hub class and client interface, so a change on either side
 * that the other does not follow is a compile error of `npm run typecheck`.
 *
 * Types only: this file imports nothing and has no runtime code.
 * @module
 */

// ---------------------------------------------------------------------------------------------
// /hubs/events (apps/server/src/modules/events/): anonymous, a stream of mock shop events.
// ---------------------------------------------------------------------------------------------

/** The five kinds of event of the mock shop. */
export type ShopEventType = 'NewOrder' | 'StockUpdate' | 'UserActivity' | 'SystemLog' | 'Notification';

export interface OrderItem {
  readonly productId: string;
  readonly productTitle: string;
  readonly quantity: number;
  readonly unitPrice: number;
}

export interface NewOrderPayload {
  readonly orderId: number;
  readonly userName: string;
  readonly total: number;
  readonly currency: 'USD';
  readonly itemCount: number;
  readonly items: readonly OrderItem[];
}

export interface StockUpdatePayload {
  readonly productId: string;
  readonly productTitle: string;
  readonly previousStock: number;
  readonly newStock: number;
  readonly reason: 'sale' | 'restock' | 'adjustment';
}

export interface UserActivityPayload {
  readonly userId: string;
  readonly userName: string;
  readonly action: 'login' | 'logout' | 'signup';
  readonly ip: string;
}

export interface SystemLogPayload {
  readonly level: 'info' | 'warning' | 'error';
  readonly message: string;
  readonly source: string;
}

export interface NotificationPayload {
  readonly notificationId: number;
  readonly severity: 'info' | 'success' | 'warning' | 'error';
  readonly message: string;
}

/** The payload of each event type. */
export interface ShopEventPayloads {
  NewOrder: NewOrderPayload;
  StockUpdate: StockUpdatePayload;
  UserActivity: UserActivityPayload;
  SystemLog: SystemLogPayload;
  Notification: NotificationPayload;
}

/** What `ReceiveEvent` carries (the server's `MockEvent`). */
export type ShopEvent = {
  [T in ShopEventType]: { readonly type: T; readonly title: string; readonly payload: ShopEventPayloads[T]; readonly timestamp: string };
}[ShopEventType];

/** What `Connected` carries. */
export interface EventsConnectedInfo {
  readonly message: string;
  readonly timestamp: string;
}

/** Methods of /hubs/events the app invokes. */
export interface EventsServer {
  /** The latest events (up to 20), oldest first. */
  getRecentEvents(): Promise<readonly ShopEvent[]>;
}

/** Methods /hubs/events calls on the app. */
export interface EventsClient {
  Connected(info: EventsConnectedInfo): void;
  ReceiveEvent(event: ShopEvent): void;
}

// ---------------------------------------------------------------------------------------------
// /hubs/admin (apps/server/src/modules/admin/): role admin. Every connection is in `admins`;
// the Subscribe… methods add `analytics`, `alerts` and `user-activity` (payloads.ts, broadcaster.ts).
// ---------------------------------------------------------------------------------------------

/** Severities of an admin alert. */
export type AlertSeverity = 'info' | 'warning' | 'error' | 'success';

/** Counters of one hub in the platform stats. */
export interface AdminHubStats {
  readonly path: string;
  readonly connections: number;
  readonly connectionsOpened: number;
  readonly connectionsClosed: number;
  readonly messagesReceived: number;
  readonly messagesSent: number;
  readonly invocations: number;
  readonly invocationErrors: number;
}

/** The figures of one node. */
export interface AdminNodeFigures {
  readonly timestamp: string;
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly connections: { readonly total: number; readonly byHub: Readonly<Record<string, number>> };
  readonly messages: { readonly received: number; readonly sent: number };
  readonly invocations: { readonly total: number; readonly errors: number };
  readonly hubs: readonly AdminHubStats[];
  readonly memory: { readonly rssBytes: number; readonly heapUsedBytes: number; readonly heapTotalBytes: number; readonly externalBytes: number };
  readonly process: { readonly pid: number; readonly nodeVersion: string; readonly platform: string; readonly processUptimeSeconds: number };
}

/** One node of the per-node breakdown. */
export type AdminNodeStats = AdminNodeFigures & { readonly nodeId: string; readonly url: string | null; readonly pid: number; readonly startedAt: string };

/** `GetPlatformStats` / `ReceivePlatformStats`: the cluster's figures, with each node's. */
export interface PlatformStats extends AdminNodeFigures {
  readonly nodeId: string;
  readonly nodes: readonly AdminNodeStats[];
  /** The other nodes could not be read: the figures are the answering node's alone. */
  readonly partial: boolean;
}

/** A JSON object as the payloads carry it (`components`, `details`). */
export type JsonFields = Readonly<Record<string, unknown>>;

export interface PlatformStatus {
  readonly status: 'operational' | 'degraded' | 'maintenance' | 'outage';
  readonly message: string | null;
  readonly components: JsonFields | null;
  readonly timestamp: string;
}
export interface AnalyticsUpdate {
  readonly metrics: Readonly<Record<string, number>>;
  readonly period: string | null;
  readonly timestamp: string;
}
export interface UserCountUpdate {
  readonly total: number;
  readonly active: number;
  readonly newToday: number | null;
  readonly timestamp: string;
}
export interface GenerationMetrics {
  readonly totalGenerations: number;
  readonly successRate: number;
  readonly averageDurationMs: number;
  readonly activeJobs: number | null;
  readonly model: string | null;
  readonly timestamp: string;
}
export interface RevenueUpdate {
  readonly amount: number;
  readonly currency: string;
  readonly period: 'hour' | 'day' | 'week' | 'month' | 'year';
  readonly changePercent: number | null;
  readonly timestamp: string;
}
export interface UserAction {
  readonly userId: string;
  readonly userName: string | null;
  readonly action: string;
  readonly details: JsonFields | null;
  readonly timestamp: string;
}
export interface RoleAssignment {
  readonly userId: string;
  readonly role: string;
  readonly action: 'granted' | 'revoked';
  readonly assignedBy: string | null;
  readonly timestamp: string;
}
export interface SystemEvent {
  readonly eventType: string;
  readonly message: string;
  readonly severity: 'info' | 'warning' | 'error';
  readonly source: string | null;
  readonly timestamp: string;
}
export interface Alert {
  readonly alertId: string;
  readonly severity: AlertSeverity;
  readonly title: string;
  readonly message: string;
  readonly source: string | null;
  readonly timestamp: string;
}
export interface PerformanceAlert {
  readonly alertId: string;
  readonly metric: string;
  readonly value: number;
  readonly threshold: number;
  readonly unit: string | null;
  readonly severity: 'warning' | 'error';
  readonly message: string;
  readonly timestamp: string;
}
export interface AdminTestMessage {
  readonly message: string;
  readonly from: string | null;
  readonly timestamp: string;
}

/** Methods of /hubs/admin the app invokes (broadcasts take the REST body's fields; the server validates them). */
export interface AdminServer {
  subscribeToUserActivity(): Promise<void>;
  unsubscribeFromUserActivity(): Promise<void>;
  subscribeToAnalytics(): Promise<void>;
  unsubscribeFromAnalytics(): Promise<void>;
  subscribeToAlerts(): Promise<void>;
  unsubscribeFromAlerts(): Promise<void>;
  getPlatformStats(): Promise<PlatformStats>;
  getConnectionCount(): Promise<number>;
  broadcastPlatformStatus(status: unknown): Promise<PlatformStatus>;
  broadcastAnalytics(update: unknown): Promise<AnalyticsUpdate>;
  broadcastUserCount(update: unknown): Promise<UserCountUpdate>;
  broadcastGenerationMetrics(metrics: unknown): Promise<GenerationMetrics>;
  broadcastRevenue(update: unknown): Promise<RevenueUpdate>;
  broadcastUserAction(action: unknown): Promise<UserAction>;
  broadcastRoleAssignment(assignment: unknown): Promise<RoleAssignment>;
  broadcastSystemEvent(event: unknown): Promise<SystemEvent>;
  broadcastAlert(alert: unknown): Promise<Alert>;
  broadcastPerformanceAlert(alert: unknown): Promise<PerformanceAlert>;
  broadcastTestMessage(message: unknown): Promise<AdminTestMessage>;
}

/** Methods /hubs/admin calls on the app. */
export interface AdminClient {
  ReceivePlatformStatus(status: PlatformStatus): void;
  ReceivePlatformStats(stats: PlatformStats): void;
  ReceiveAnalytics(update: AnalyticsUpdate): void;
  ReceiveUserCount(update: UserCountUpdate): void;
  ReceiveGenerationMetrics(metrics: GenerationMetrics): void;
  ReceiveRevenueUpdate(update: RevenueUpdate): void;
  ReceiveUserAction(action: UserAction): void;
  ReceiveRoleAssignment(assignment: RoleAssignment): void;
  ReceiveSystemEvent(event: SystemEvent): void;
  ReceiveAlert(alert: Alert): void;
  ReceivePerformanceAlert(alert: PerformanceAlert): void;
  ReceiveTestMessage(message: AdminTestMessage): void;
}

// ---------------------------------------------------------------------------------------------
// /hubs/chat (apps/server/src/modules/chat/): any logged-in user. Filled by the chat page's
// author (ChatServer, ChatClient), with its check in test/web/contracts.typecheck.ts.
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// /hubs/campaigns (apps/server/src/modules/campaigns/). Filled by the campaigns page's author
// (CampaignsServer, CampaignsClient), with its check in test/web/contracts.typecheck.ts.
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// /hubs/synaxis (apps/server/src/modules/synaxis/): organization notifications. Filled by the
// organizations page's author (SynaxisServer, SynaxisClient), with its check in
// test/web/contracts.typecheck.ts.
// ---------------------------------------------------------------------------------------------
