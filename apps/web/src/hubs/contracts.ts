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
// /hubs/chat (apps/server/src/modules/chat/): any logged-in user. Workflows are recoverable
// groups (`workflow:<id>`): their messages carry a trailing position.
// ---------------------------------------------------------------------------------------------

/**
 * The trailing argument of each message of a recoverable group (workflows, campaigns,
 * organizations): the group, the message's offset (1, 2, 3, … without gaps) and the history's epoch.
 */
export interface HubGroupPosition {
  readonly group: string;
  readonly offset: number;
  readonly epoch: string;
}

/** What `ReceiveMessage` carries. `workflowId` is null for a message to everyone. */
export interface ChatMessage {
  readonly messageId: string;
  readonly user: string;
  readonly text: string;
  readonly workflowId: string | null;
  readonly timestamp: string;
}

/** What `SendMessage` answers. */
export interface ChatMessageAck {
  readonly messageId: string;
  readonly receivedAt: string;
}

/** What `UserJoined` carries (and `UserLeft`, with its reason). */
export interface ChatMembershipChange {
  readonly workflowId: string;
  readonly user: string;
  readonly connectionId: string;
  readonly timestamp: string;
}

/** What `JoinWorkflow` answers; `recovered` and `replayed` only when it was given a position. */
export interface WorkflowJoin {
  readonly workflowId: string;
  readonly position: HubGroupPosition;
  readonly recovered?: boolean;
  readonly replayed?: number;
}

/**
 * Methods of /hubs/chat the app invokes. The hub checks its arguments itself (hence `unknown`):
 * `text` a non-empty string (≤ 2000 characters), `workflowId` 1–100 letters, digits and `. _ : -`,
 * `fromPosition` the last position received from the workflow (or null).
 */
export interface ChatServer {
  /** To every workflow the caller joined, or to everyone when it joined none. */
  sendMessage(text: unknown): Promise<ChatMessageAck>;
  /** Joins; with `fromPosition`, replays what the workflow sent after it first. */
  joinWorkflow(workflowId: unknown, fromPosition?: unknown): Promise<WorkflowJoin>;
  leaveWorkflow(workflowId: unknown): Promise<void>;
  /** Who is in a workflow the caller joined, over every node. */
  getWorkflowMembers(workflowId: unknown): Promise<WorkflowMembers>;
  getWorkflows(): string[];
}

/** What `GetWorkflowMembers` answers. */
export interface WorkflowMembers {
  readonly workflowId: string;
  readonly members: readonly { readonly connectionId: string; readonly user: string | null }[];
  readonly more: boolean;
}

/** Methods /hubs/chat calls on the app. */
export interface ChatClient {
  ReceiveMessage(message: ChatMessage, position?: HubGroupPosition): void;
  UserJoined(change: ChatMembershipChange, position?: HubGroupPosition): void;
  UserLeft(change: ChatMembershipChange & { readonly reason: 'left' | 'disconnected' }, position?: HubGroupPosition): void;
}

// ---------------------------------------------------------------------------------------------
// /hubs/campaigns (apps/server/src/modules/campaigns/): anyone who knows a campaign id; the REST
// API under /api/campaigns creates, lists and cancels (a user). Offsets are sequence numbers.
// ---------------------------------------------------------------------------------------------

export type CampaignState = 'created' | 'planning' | 'generating' | 'reviewing' | 'auditing' | 'completed' | 'cancelled';
export type CampaignAuditStatus = 'not-started' | 'in-progress' | 'passed';
export type ArtifactStatus = 'planned' | 'generating' | 'completed' | 'cancelled';
export type OrchestrationEventType = 'CampaignCreated' | 'StateChanged' | 'AuditCompleted' | 'CampaignCompleted' | 'CampaignCancelled';

export interface CampaignArtifact {
  readonly artifactId: string;
  readonly kind: string;
  readonly title: string;
  readonly status: ArtifactStatus;
  /** 0 to 100. */
  readonly progress: number;
  readonly updatedAt: string;
}

/** `ReceiveOrchestrationEvent`: the run changed state or audit status (values after the event). */
export interface OrchestrationEvent {
  readonly campaignId: string;
  readonly sequence: number;
  readonly eventType: OrchestrationEventType;
  readonly state: CampaignState;
  readonly previousState: CampaignState | null;
  readonly auditStatus: CampaignAuditStatus;
  readonly message: string;
  readonly timestamp: string;
}

/** `ReceiveArtifactUpdate`: the artifact as it is after the update. */
export interface ArtifactUpdate {
  readonly campaignId: string;
  readonly sequence: number;
  readonly artifact: CampaignArtifact;
  readonly timestamp: string;
}

/** `ReceiveCampaignSnapshot` and the first `SubscribeToCampaign`'s answer. */
export interface CampaignSnapshot {
  readonly campaignId: string;
  readonly currentState: CampaignState;
  readonly completedArtifacts: readonly CampaignArtifact[];
  readonly pendingArtifacts: readonly CampaignArtifact[];
  readonly auditStatus: CampaignAuditStatus;
  /** The sequence of the last event the snapshot includes (0: none). */
  readonly lastEventSequence: number;
  readonly timestamp: string;
}

/** `ReceiveCancellationAcknowledgement`: right behind its `CampaignCancelled` event. */
export interface CancellationAcknowledgement {
  readonly campaignId: string;
  readonly cancellationSequence: number;
  readonly state: 'cancelled';
  readonly requestedBy: string;
  readonly reason: string | null;
  readonly acknowledgedAt: string;
}

/** The answer of `SubscribeToCampaign(id, fromSequence)`. */
export interface CampaignRecovery {
  readonly recovered: boolean;
  readonly lastSequence: number;
  readonly replayed: number;
  readonly position: HubGroupPosition;
}

/** `GET /api/campaigns/{id}` (and `POST /api/campaigns`, which adds `hub`). */
export interface CampaignDetails extends CampaignSnapshot {
  readonly name: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly endedAt: string | null;
}

/** Methods of /hubs/campaigns the app invokes. */
export interface CampaignsServer {
  /** Without `fromSequence`: the snapshot; with it: replays what came after, or a snapshot first (`recovered: false`). */
  subscribeToCampaign(campaignId: string, fromSequence?: number | null): Promise<CampaignSnapshot | CampaignRecovery>;
  unsubscribeFromCampaign(campaignId: string): Promise<void>;
  getCampaignSnapshot(campaignId: string): Promise<CampaignSnapshot>;
}

/** Methods /hubs/campaigns calls on the app. */
export interface CampaignsClient {
  ReceiveOrchestrationEvent(event: OrchestrationEvent, position?: HubGroupPosition): void;
  ReceiveArtifactUpdate(update: ArtifactUpdate, position?: HubGroupPosition): void;
  ReceiveCampaignSnapshot(snapshot: CampaignSnapshot): void;
  ReceiveCancellationAcknowledgement(acknowledgement: CancellationAcknowledgement, position?: HubGroupPosition): void;
}

// ---------------------------------------------------------------------------------------------
// /hubs/synaxis (apps/server/src/modules/synaxis/): organization notifications, any logged-in
// user; an organization (`org:<id>`, recoverable) to its members only.
// ---------------------------------------------------------------------------------------------

export type ProviderStatus = 'healthy' | 'degraded' | 'down';
export type SecurityAlertSeverity = 'low' | 'medium' | 'high' | 'critical';

/** Each notification type's fields. */
export interface SynaxisPayloads {
  ProviderHealthChanged: {
    readonly provider: string;
    readonly status: ProviderStatus;
    readonly previousStatus: ProviderStatus | null;
    readonly latencyMs: number | null;
    readonly errorRate: number | null;
    readonly message: string | null;
  };
  CostOptimizationApplied: {
    readonly policy: string;
    readonly description: string;
    readonly estimatedMonthlySavingsUsd: number;
    readonly affectedRequestsPercent: number | null;
  };
  ModelDiscovered: {
    readonly provider: string;
    readonly modelId: string;
    readonly contextWindow: number | null;
    readonly capabilities: readonly string[];
    readonly inputPricePerMillionTokensUsd: number | null;
    readonly outputPricePerMillionTokensUsd: number | null;
  };
  SecurityAlert: {
    readonly severity: SecurityAlertSeverity;
    readonly category: string;
    readonly message: string;
    readonly sourceIp: string | null;
  };
  AuditEvent: {
    readonly actor: string;
    readonly action: string;
    readonly resource: string;
    readonly outcome: 'success' | 'failure';
  };
}

export type SynaxisNotificationType = keyof SynaxisPayloads;

/** A notification: the envelope and its type's fields, flat. */
export type SynaxisNotification<T extends SynaxisNotificationType = SynaxisNotificationType> = {
  readonly notificationId: string;
  readonly organizationId: string;
  readonly type: T;
  readonly timestamp: string;
} & SynaxisPayloads[T];

/** What `JoinOrganization` answers; `recovered` and `replayed` only when given a position. */
export interface OrganizationJoin {
  readonly organizationId: string;
  readonly joinedAt: string;
  readonly position: HubGroupPosition;
  readonly recovered?: boolean;
  readonly replayed?: number;
}

/** Methods of /hubs/synaxis the app invokes. */
export interface SynaxisServer {
  /** Members only (`You are not a member of organization '<id>'.`); with `fromPosition`, replays what was missed. */
  joinOrganization(organizationId: string, fromPosition?: { offset: number; epoch: string } | null): Promise<OrganizationJoin>;
  leaveOrganization(organizationId: string): Promise<void>;
}

/** Methods /hubs/synaxis calls on the app. */
export interface SynaxisClient {
  ProviderHealthChanged(notification: SynaxisNotification<'ProviderHealthChanged'>, position?: HubGroupPosition): void;
  CostOptimizationApplied(notification: SynaxisNotification<'CostOptimizationApplied'>, position?: HubGroupPosition): void;
  ModelDiscovered(notification: SynaxisNotification<'ModelDiscovered'>, position?: HubGroupPosition): void;
  SecurityAlert(notification: SynaxisNotification<'SecurityAlert'>, position?: HubGroupPosition): void;
  AuditEvent(notification: SynaxisNotification<'AuditEvent'>, position?: HubGroupPosition): void;
}
