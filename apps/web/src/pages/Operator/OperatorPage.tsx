/**
 * The operator console (role admin): Hubwire itself over the operator API — connections per hub
 * by transport and protocol, the cluster's nodes, groups and their members, rates over time,
 * slow-consumer and error counts — and its actions: a test message to a hub, group, user or
 * connection, a disconnect (confirmed first), and following a user's connections.
 *
 * REST only (no hub connection of its own, so it never counts itself): the overview is polled
 * every 2 s, the series every 5 s (the server samples every 5 s).
 * @module
 */
import { useCallback, useState } from 'react';
import { Page } from '../../components/Page';
import type { AimSend, SendPreset } from './connection-actions';
import { FollowUser } from './FollowUser';
import { GroupsPanel } from './GroupsPanel';
import { operatorPaths, type Overview, type Series } from './operator-api';
import { HubsTable, NodesTable, TotalsPanel, TroublePanel } from './OverviewPanels';
import { RatesPanel } from './RatesPanel';
import { SendPanel } from './SendPanel';
import { usePolling } from './use-polling';
import '../../components/charts/charts.css';
import '../Admin/panels.css';
import './operator.css';

const OVERVIEW_MS = 2000;
const SERIES_MS = 5000;

/** The operator console view. */
export function OperatorPage() {
  const overview = usePolling<Overview>(operatorPaths.overview(), OVERVIEW_MS);
  const series = usePolling<Series>(operatorPaths.series(), SERIES_MS);
  const [preset, setPreset] = useState<SendPreset | undefined>(undefined);
  const aim = useCallback<AimSend>((hub, targetKind, targetValue) => setPreset((current) => ({ hub, targetKind, targetValue, nonce: (current?.nonce ?? 0) + 1 })), []);
  const hubs = overview.data?.hubs.map((hub) => hub.hub) ?? [];
  return (
    <Page title="Operator console" testId="page-operator">
      <p className="muted">
        Hubwire itself, over <code>/api/operator/</code> (<a href="/docs/rest-api.md#operator-api-apioperator">the API</a>): figures of every node of the cluster, refreshed every {OVERVIEW_MS / 1000} s.
      </p>
      {overview.error === undefined ? null : (
        <p className="notice notice-error" role="alert" data-testid="overview-error">
          The overview could not be read: {overview.error}
        </p>
      )}
      {overview.data === undefined ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : (
        <>
          <div className="admin-grid">
            <TotalsPanel overview={overview.data} />
            <TroublePanel overview={overview.data} />
          </div>
          <HubsTable overview={overview.data} />
        </>
      )}
      <RatesPanel series={series.data} error={series.error} />
      <div className="admin-grid">
        <FollowUser aim={aim} />
        <SendPanel hubs={hubs} preset={preset} />
      </div>
      <div className="admin-grid">
        <GroupsPanel hubs={hubs} aim={aim} />
        {overview.data === undefined ? null : <NodesTable overview={overview.data} />}
      </div>
    </Page>
  );
}
