/**
 * The admin dashboard's state, fed by what /hubs/admin sends: the latest platform stats and the
 * rates between two of them, the charts' windows (platform rates, analytics, generation metrics,
 * revenue), the latest of each figure, and the user activity feed (newest first, bounded).
 * A reducer of plain data; the alert centre has its own (components/alerts).
 * @module
 */
import { addPoint, emptyWindow, type SeriesWindow, type WindowLimits } from '../../components/charts/series-window';
import type { AdminTestMessage, AnalyticsUpdate, GenerationMetrics, PlatformStats, PlatformStatus, RevenueUpdate, RoleAssignment, SystemEvent, UserAction, UserCountUpdate } from '../../hubs/contracts';

/** Each chart keeps at most this many points, none older than 30 minutes behind its newest. */
export const CHART_LIMITS: WindowLimits = { maxPoints: 180, maxAgeMs: 30 * 60_000 };
/** The activity feed keeps this many items. */
export const MAX_ACTIVITY = 100;

/** One line of the activity feed. */
export interface ActivityItem {
  /** Unique in the feed (the kind, the time and a counter). */
  readonly key: string;
  readonly kind: 'user-action' | 'role-assignment' | 'system-event' | 'platform-status' | 'test-message';
  readonly tone: 'info' | 'warning' | 'error' | 'success';
  readonly summary: string;
  readonly detail: string | undefined;
  readonly timestamp: string;
}

/** The dashboard's state. */
export interface DashboardState {
  readonly stats: PlatformStats | undefined;
  /** Messages and invocations per second and connections, from consecutive stats. */
  readonly platform: SeriesWindow;
  readonly analytics: SeriesWindow;
  readonly generation: SeriesWindow;
  readonly revenue: SeriesWindow;
  readonly latestAnalytics: AnalyticsUpdate | undefined;
  readonly latestGeneration: GenerationMetrics | undefined;
  readonly latestRevenue: RevenueUpdate | undefined;
  readonly userCount: UserCountUpdate | undefined;
  readonly platformStatus: PlatformStatus | undefined;
  readonly activity: readonly ActivityItem[];
  /** Counts the feed's items, for their keys. */
  readonly sequence: number;
}

export type DashboardAction =
  | { readonly kind: 'stats'; readonly stats: PlatformStats }
  | { readonly kind: 'analytics'; readonly update: AnalyticsUpdate }
  | { readonly kind: 'generation'; readonly metrics: GenerationMetrics }
  | { readonly kind: 'revenue'; readonly update: RevenueUpdate }
  | { readonly kind: 'user-count'; readonly update: UserCountUpdate }
  | { readonly kind: 'platform-status'; readonly status: PlatformStatus }
  | { readonly kind: 'user-action'; readonly action: UserAction }
  | { readonly kind: 'role-assignment'; readonly assignment: RoleAssignment }
  | { readonly kind: 'system-event'; readonly event: SystemEvent }
  | { readonly kind: 'test-message'; readonly message: AdminTestMessage };

/** The dashboard before anything arrived. */
export function emptyDashboard(): DashboardState {
  return {
    stats: undefined,
    platform: emptyWindow(['messagesIn', 'messagesOut', 'invocations', 'connections']),
    analytics: emptyWindow(),
    generation: emptyWindow(['averageDurationMs']),
    revenue: emptyWindow(),
    latestAnalytics: undefined,
    latestGeneration: undefined,
    latestRevenue: undefined,
    userCount: undefined,
    platformStatus: undefined,
    activity: [],
    sequence: 0,
  };
}

/** Per-second rates between two stats snapshots (undefined when they are not in order or a node restarted). */
export function statsRates(previous: PlatformStats, next: PlatformStats): { messagesIn: number; messagesOut: number; invocations: number } | undefined {
  const seconds = (Date.parse(next.timestamp) - Date.parse(previous.timestamp)) / 1000;
  if (!(seconds > 0)) return undefined;
  const delta = (after: number, before: number) => after - before;
  const rates = {
    messagesIn: delta(next.messages.received, previous.messages.received) / seconds,
    messagesOut: delta(next.messages.sent, previous.messages.sent) / seconds,
    invocations: delta(next.invocations.total, previous.invocations.total) / seconds,
  };
  // Counters only grow; a drop is a node that restarted or left: no rate for this pair.
  return Object.values(rates).some((rate) => rate < 0) ? undefined : rates;
}

const time = (timestamp: string) => Date.parse(timestamp);

function withActivity(state: DashboardState, item: Omit<ActivityItem, 'key'>): DashboardState {
  const sequence = state.sequence + 1;
  return { ...state, sequence, activity: [{ ...item, key: `${item.kind}-${sequence}` }, ...state.activity].slice(0, MAX_ACTIVITY) };
}

const STATUS_TONE: Readonly<Record<PlatformStatus['status'], ActivityItem['tone']>> = { operational: 'success', degraded: 'warning', maintenance: 'info', outage: 'error' };

/** The next state after `action`. */
export function dashboardReducer(state: DashboardState, action: DashboardAction): DashboardState {
  switch (action.kind) {
    case 'stats': {
      const { stats } = action;
      const previous = state.stats;
      if (previous !== undefined && time(stats.timestamp) <= time(previous.timestamp)) return state;
      const rates = previous === undefined ? undefined : statsRates(previous, stats);
      const values = { messagesIn: rates?.messagesIn ?? null, messagesOut: rates?.messagesOut ?? null, invocations: rates?.invocations ?? null, connections: stats.connections.total };
      return { ...state, stats, platform: addPoint(state.platform, { at: time(stats.timestamp), values }, CHART_LIMITS) };
    }
    case 'analytics':
      return { ...state, latestAnalytics: action.update, analytics: addPoint(state.analytics, { at: time(action.update.timestamp), values: action.update.metrics }, CHART_LIMITS) };
    case 'generation': {
      const { metrics } = action;
      return { ...state, latestGeneration: metrics, generation: addPoint(state.generation, { at: time(metrics.timestamp), values: { averageDurationMs: metrics.averageDurationMs } }, CHART_LIMITS) };
    }
    case 'revenue': {
      const { update } = action;
      // One line per currency and period: a day's revenue and an hour's do not share a line.
      return { ...state, latestRevenue: update, revenue: addPoint(state.revenue, { at: time(update.timestamp), values: { [`${update.currency} / ${update.period}`]: update.amount } }, CHART_LIMITS) };
    }
    case 'user-count':
      return { ...state, userCount: action.update };
    case 'platform-status': {
      const { status } = action;
      return withActivity({ ...state, platformStatus: status }, { kind: 'platform-status', tone: STATUS_TONE[status.status], summary: `Platform ${status.status}`, detail: status.message ?? undefined, timestamp: status.timestamp });
    }
    case 'user-action': {
      const { action: done } = action;
      const details = done.details === null ? undefined : JSON.stringify(done.details);
      return withActivity(state, { kind: 'user-action', tone: 'info', summary: `${done.userName ?? done.userId} ${done.action}`, detail: details, timestamp: done.timestamp });
    }
    case 'role-assignment': {
      const { assignment } = action;
      const verb = assignment.action === 'granted' ? 'granted to' : 'revoked from';
      return withActivity(state, { kind: 'role-assignment', tone: assignment.action === 'granted' ? 'success' : 'warning', summary: `Role ${assignment.role} ${verb} ${assignment.userId}`, detail: assignment.assignedBy === null ? undefined : `by ${assignment.assignedBy}`, timestamp: assignment.timestamp });
    }
    case 'system-event': {
      const { event } = action;
      return withActivity(state, { kind: 'system-event', tone: event.severity, summary: `${event.eventType}: ${event.message}`, detail: event.source === null ? undefined : `from ${event.source}`, timestamp: event.timestamp });
    }
    case 'test-message': {
      const { message } = action;
      return withActivity(state, { kind: 'test-message', tone: 'info', summary: `Test message: ${message.message}`, detail: message.from === null ? undefined : `from ${message.from}`, timestamp: message.timestamp });
    }
  }
}
