/**
 * The admin dashboard (/hubs/admin, role admin): platform stats live, charts over time of the
 * platform's rates, analytics, generation metrics and revenue, the user activity feed, the alert
 * centre (general and performance alerts) and a form for each REST broadcast.
 *
 * On every (re)connect the page joins the opt-in groups (analytics, alerts, user activity) and
 * reads the stats once; after that everything arrives as the server pushes it.
 * @module
 */
import { useEffect, useReducer, useState } from 'react';
import { AlertCentre } from '../../components/alerts/AlertCentre';
import { alertCentreReducer, emptyAlertCentre } from '../../components/alerts/alert-centre';
import { TimeChart } from '../../components/charts/TimeChart';
import { Page } from '../../components/Page';
import type { AdminClient, AdminServer } from '../../hubs/contracts';
import { useHub } from '../../hubs/use-hub';
import { ActivityFeed } from './ActivityFeed';
import { BroadcastPanel } from './BroadcastPanel';
import { dashboardReducer, emptyDashboard } from './dashboard-state';
import { StatsPanel } from './StatsPanel';
import '../../components/charts/charts.css';
import './panels.css';
import './admin.css';

export const ADMIN_HUB = '/hubs/admin';

const PLATFORM_LABELS = { messagesIn: { label: 'messages in /s' }, messagesOut: { label: 'messages out /s' }, invocations: { label: 'invocations /s' }, connections: { label: 'connections' } };
const GENERATION_LABELS = { averageDurationMs: { label: 'average duration (ms)' } };

/** The admin dashboard view. */
export function AdminPage() {
  const [dashboard, dispatch] = useReducer(dashboardReducer, undefined, emptyDashboard);
  const [alerts, dispatchAlert] = useReducer(alertCentreReducer, undefined, emptyAlertCentre);
  const [setupError, setSetupError] = useState<string | undefined>(undefined);
  const admin = useHub<AdminServer, AdminClient>(ADMIN_HUB, (hub) => [
    hub.on.ReceivePlatformStats((stats) => dispatch({ kind: 'stats', stats })),
    hub.on.ReceiveAnalytics((update) => dispatch({ kind: 'analytics', update })),
    hub.on.ReceiveGenerationMetrics((metrics) => dispatch({ kind: 'generation', metrics })),
    hub.on.ReceiveRevenueUpdate((update) => dispatch({ kind: 'revenue', update })),
    hub.on.ReceiveUserCount((update) => dispatch({ kind: 'user-count', update })),
    hub.on.ReceivePlatformStatus((status) => dispatch({ kind: 'platform-status', status })),
    hub.on.ReceiveUserAction((action) => dispatch({ kind: 'user-action', action })),
    hub.on.ReceiveRoleAssignment((assignment) => dispatch({ kind: 'role-assignment', assignment })),
    hub.on.ReceiveSystemEvent((event) => dispatch({ kind: 'system-event', event })),
    hub.on.ReceiveTestMessage((message) => dispatch({ kind: 'test-message', message })),
    hub.on.ReceiveAlert((alert) => dispatchAlert({ kind: 'alert', alert })),
    hub.on.ReceivePerformanceAlert((alert) => dispatchAlert({ kind: 'performance', alert })),
  ]);
  const { hub, state } = admin;

  // Group membership does not survive a reconnect (a new connection): join again each time.
  useEffect(() => {
    if (hub === undefined || state !== 'connected') return undefined;
    let current = true;
    Promise.all([hub.invoke.subscribeToAnalytics(), hub.invoke.subscribeToAlerts(), hub.invoke.subscribeToUserActivity()])
      .then(() => hub.invoke.getPlatformStats())
      .then(
        (stats) => {
          if (!current) return;
          setSetupError(undefined);
          dispatch({ kind: 'stats', stats });
        },
        (error: unknown) => current && setSetupError(error instanceof Error ? error.message : String(error)),
      );
    return () => {
      current = false;
    };
  }, [hub, state]);

  const generation = dashboard.latestGeneration;
  const revenue = dashboard.latestRevenue;
  return (
    <Page title="Admin dashboard" testId="page-admin">
      <p className="muted">
        Live from <code>{ADMIN_HUB}</code>: stats pushed to the <code>analytics</code> group, alerts to <code>alerts</code>, user activity to <code>user-activity</code>; broadcasts from the forms below come back here through the hub.
      </p>
      {setupError === undefined ? null : (
        <p className="notice notice-error" role="alert">
          The dashboard could not subscribe: {setupError}
        </p>
      )}
      <div className="admin-grid">
        <StatsPanel stats={dashboard.stats} userCount={dashboard.userCount} status={dashboard.platformStatus} />
        <AlertCentre state={alerts} dispatch={dispatchAlert} />
      </div>
      <section aria-labelledby="charts-title" className="admin-charts">
        <h2 id="charts-title">Over time</h2>
        <div className="charts-grid">
          <TimeChart title="Platform" window={dashboard.platform} styles={PLATFORM_LABELS} testId="chart-platform" empty="Waiting for the stats…" />
          <TimeChart title={`Analytics${dashboard.latestAnalytics?.period == null ? '' : ` (${dashboard.latestAnalytics.period})`}`} window={dashboard.analytics} testId="chart-analytics" empty="No analytics broadcast yet." />
          <div className="chart-with-figures">
            <TimeChart title="Generation metrics" window={dashboard.generation} styles={GENERATION_LABELS} testId="chart-generation" empty="No generation metrics yet." />
            {generation === undefined ? null : (
              <p className="muted" data-testid="generation-latest">
                {generation.totalGenerations.toLocaleString()} generations · {(generation.successRate * 100).toFixed(1)} % succeeded
                {generation.activeJobs === null ? '' : ` · ${generation.activeJobs} active`}
                {generation.model === null ? '' : ` · ${generation.model}`}
              </p>
            )}
          </div>
          <div className="chart-with-figures">
            <TimeChart title="Revenue" window={dashboard.revenue} testId="chart-revenue" format={(value) => value.toLocaleString(undefined, { maximumFractionDigits: 2 })} empty="No revenue update yet." />
            {revenue === undefined ? null : (
              <p className="muted" data-testid="revenue-latest">
                {revenue.amount.toLocaleString(undefined, { style: 'currency', currency: revenue.currency })} this {revenue.period}
                {revenue.changePercent === null ? '' : ` (${revenue.changePercent >= 0 ? '+' : ''}${revenue.changePercent} %)`}
              </p>
            )}
          </div>
        </div>
      </section>
      <div className="admin-grid">
        <ActivityFeed items={dashboard.activity} />
        <BroadcastPanel />
      </div>
    </Page>
  );
}
