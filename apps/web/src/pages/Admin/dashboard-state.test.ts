import { describe, expect, it } from 'vitest';
import type { PlatformStats } from '../../hubs/contracts';
import { CHART_LIMITS, dashboardReducer, emptyDashboard, MAX_ACTIVITY, statsRates, type DashboardAction, type DashboardState } from './dashboard-state';

function stats(seconds: number, received: number, sent: number, invocations: number, connections = 2): PlatformStats {
  return {
    timestamp: new Date(Date.UTC(2026, 0, 1, 12, 0, seconds)).toISOString(),
    startedAt: '2026-01-01T11:00:00.000Z',
    uptimeSeconds: 3600 + seconds,
    connections: { total: connections, byHub: { '/hubs/admin': connections } },
    messages: { received, sent },
    invocations: { total: invocations, errors: 0 },
    hubs: [],
    memory: { rssBytes: 1, heapUsedBytes: 1, heapTotalBytes: 1, externalBytes: 1 },
    process: { pid: 1, nodeVersion: 'v20', platform: 'linux', processUptimeSeconds: 1 },
    nodeId: 'n1',
    nodes: [],
    partial: false,
  };
}
const run = (actions: readonly DashboardAction[], state: DashboardState = emptyDashboard()) => actions.reduce(dashboardReducer, state);
const stamp = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, seconds)).toISOString();

describe('the dashboard state', () => {
  it('charts message and invocation rates between two stats, and the connections', () => {
    const state = run([{ kind: 'stats', stats: stats(0, 100, 200, 10) }, { kind: 'stats', stats: stats(10, 150, 400, 30, 5) }]);
    expect(state.stats?.connections.total).toBe(5);
    expect(state.platform.points.map((point) => point.values)).toEqual([
      { messagesIn: null, messagesOut: null, invocations: null, connections: 2 },
      { messagesIn: 5, messagesOut: 20, invocations: 2, connections: 5 },
    ]);
  });

  it('has no rate across a counter that went down (a node restarted), nor for stats out of order', () => {
    expect(statsRates(stats(0, 100, 100, 10), stats(5, 20, 200, 12))).toBeUndefined();
    const state = run([{ kind: 'stats', stats: stats(10, 1, 1, 1) }]);
    expect(dashboardReducer(state, { kind: 'stats', stats: stats(5, 2, 2, 2) })).toBe(state);
  });

  it('bounds each chart window', () => {
    const actions: DashboardAction[] = [];
    for (let index = 0; index < CHART_LIMITS.maxPoints + 20; index++) actions.push({ kind: 'analytics', update: { metrics: { views: index }, period: null, timestamp: stamp(index) } });
    const state = run(actions);
    expect(state.analytics.points).toHaveLength(CHART_LIMITS.maxPoints);
    expect(state.latestAnalytics?.metrics['views']).toBe(CHART_LIMITS.maxPoints + 19);
  });

  it('charts revenue per currency and period, and generation durations', () => {
    const state = run([
      { kind: 'revenue', update: { amount: 10, currency: 'USD', period: 'day', changePercent: null, timestamp: stamp(1) } },
      { kind: 'revenue', update: { amount: 7, currency: 'EUR', period: 'day', changePercent: 2, timestamp: stamp(2) } },
      { kind: 'generation', metrics: { totalGenerations: 5, successRate: 0.9, averageDurationMs: 1200, activeJobs: null, model: null, timestamp: stamp(3) } },
    ]);
    expect(state.revenue.keys).toEqual(['USD / day', 'EUR / day']);
    expect(state.latestRevenue?.currency).toBe('EUR');
    expect(state.generation.points[0]?.values).toEqual({ averageDurationMs: 1200 });
  });

  it('puts activity newest first and keeps the newest ones', () => {
    const actions: DashboardAction[] = [];
    for (let index = 0; index < MAX_ACTIVITY + 3; index++) actions.push({ kind: 'user-action', action: { userId: `u${index}`, userName: null, action: 'logged in', details: null, timestamp: stamp(index) } });
    actions.push({ kind: 'role-assignment', assignment: { userId: 'jane', role: 'editor', action: 'revoked', assignedBy: 'admin', timestamp: stamp(200) } });
    const state = run(actions);
    expect(state.activity).toHaveLength(MAX_ACTIVITY);
    expect(state.activity[0]).toMatchObject({ kind: 'role-assignment', tone: 'warning', summary: 'Role editor revoked from jane', detail: 'by admin' });
    expect(state.activity[1]?.summary).toBe(`u${MAX_ACTIVITY + 2} logged in`);
    expect(new Set(state.activity.map((item) => item.key)).size).toBe(MAX_ACTIVITY);
  });

  it('keeps the latest platform status and lists it in the feed', () => {
    const state = run([{ kind: 'platform-status', status: { status: 'outage', message: 'Database down', components: null, timestamp: stamp(1) } }]);
    expect(state.platformStatus?.status).toBe('outage');
    expect(state.activity[0]).toMatchObject({ kind: 'platform-status', tone: 'error', summary: 'Platform outage', detail: 'Database down' });
  });
});
