/**
 * What the overview shows: the totals (connections by transport and protocol, groups, the
 * scope of the figures), a row per hub, the slow-consumer and error counts, and the nodes.
 * @module
 */
import type { ErrorCounts, Overview, OverviewFigures, SlowConsumerCounts } from './operator-api';
import { TRANSPORT_LABELS, type OperatorTransport } from './operator-api';

const TRANSPORTS = Object.keys(TRANSPORT_LABELS) as OperatorTransport[];
const number = (value: number) => value.toLocaleString();

function protocols(figures: OverviewFigures): string {
  const entries = Object.entries(figures.byProtocol).filter(([, count]) => count > 0);
  return entries.length === 0 ? '–' : entries.map(([name, count]) => `${name} ${count}`).join(', ');
}

/** The totals of the cluster. */
export function TotalsPanel({ overview }: { readonly overview: Overview }) {
  const { totals } = overview;
  const alive = overview.nodes.filter((node) => node.alive).length;
  return (
    <section className="admin-panel" aria-labelledby="totals-title" data-testid="operator-totals">
      <h2 id="totals-title">Connections</h2>
      <dl className="stats">
        <div className="stat">
          <dt>Connections</dt>
          <dd data-testid="total-connections">{number(totals.connections)}</dd>
        </div>
        {TRANSPORTS.map((transport) => (
          <div className="stat" key={transport}>
            <dt>{TRANSPORT_LABELS[transport]}</dt>
            <dd data-testid={`total-${transport}`}>{number(totals.byTransport[transport])}</dd>
          </div>
        ))}
        <div className="stat">
          <dt>Protocols</dt>
          <dd className="stat-small" data-testid="total-protocols">
            {protocols(totals)}
          </dd>
        </div>
        <div className="stat">
          <dt>Groups</dt>
          <dd>{totals.groups === null ? '–' : number(totals.groups)}</dd>
        </div>
        <div className="stat">
          <dt>Nodes alive</dt>
          <dd data-testid="nodes-alive">{alive}</dd>
        </div>
      </dl>
      <p className="muted">
        {overview.scope === 'cluster' ? 'Every live node' : 'This node only: the other nodes could not be read'} · answered by <code>{overview.nodeId}</code> at {new Date(overview.timestamp).toLocaleTimeString()}
      </p>
    </section>
  );
}

/** A row per hub. */
export function HubsTable({ overview }: { readonly overview: Overview }) {
  return (
    <section className="admin-panel" aria-labelledby="hubs-title">
      <h2 id="hubs-title">Hubs</h2>
      <div className="table-scroll">
        <table className="data-table" data-testid="operator-hubs">
          <thead>
            <tr>
              <th scope="col">Hub</th>
              <th scope="col">Connections</th>
              {TRANSPORTS.map((transport) => (
                <th scope="col" key={transport}>
                  {TRANSPORT_LABELS[transport]}
                </th>
              ))}
              <th scope="col">Protocols</th>
              <th scope="col">Groups</th>
              <th scope="col">Messages in / out</th>
              <th scope="col">Invocations</th>
              <th scope="col">Slow consumers</th>
              <th scope="col">Errors</th>
            </tr>
          </thead>
          <tbody>
            {overview.hubs.map((hub) => (
              <tr key={hub.path} data-testid="operator-hub" data-hub={hub.hub} data-connections={hub.connections}>
                <th scope="row">
                  <code>{hub.path}</code>
                </th>
                <td>{number(hub.connections)}</td>
                {TRANSPORTS.map((transport) => (
                  <td key={transport}>{number(hub.byTransport[transport])}</td>
                ))}
                <td className="cell-text">{protocols(hub)}</td>
                <td>{hub.groups === null ? '–' : number(hub.groups)}</td>
                <td>
                  {number(hub.messagesReceived)} / {number(hub.messagesSent)}
                </td>
                <td>{number(hub.invocations)}</td>
                <td>{number(hub.slowConsumer.total)}</td>
                <td>{number(hub.errors.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

const SLOW_LABELS: Readonly<Record<Exclude<keyof SlowConsumerCounts, 'total'>, string>> = {
  disconnects: 'closed for a full buffer',
  sendTimeouts: 'closed for a send that stalled',
  drops: 'messages dropped',
  conflated: 'messages conflated',
};
const ERROR_LABELS: Readonly<Record<Exclude<keyof ErrorCounts, 'total'>, string>> = {
  invocations: 'invocations failed',
  protocol: 'malformed input',
  handshakes: 'handshakes failed',
  clientTimeouts: 'clients timed out',
  backplane: 'backplane publishes failed',
  presence: 'presence writes failed',
};

function Counts<T extends { readonly total: number }>({ title, counts, labels, testId }: { readonly title: string; readonly counts: T; readonly labels: Readonly<Record<string, string>>; readonly testId: string }) {
  return (
    <div className="counts" data-testid={testId} data-total={counts.total}>
      <h3>
        {title} <span className="tally">{number(counts.total)}</span>
      </h3>
      <dl>
        {Object.entries(labels).map(([key, label]) => (
          <div key={key} className="count-row">
            <dt>{label}</dt>
            <dd>{number((counts as unknown as Record<string, number>)[key] ?? 0)}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

/** Slow-consumer and error counts of the cluster, since each node started. */
export function TroublePanel({ overview }: { readonly overview: Overview }) {
  return (
    <section className="admin-panel" aria-labelledby="trouble-title">
      <h2 id="trouble-title">Slow consumers and errors</h2>
      <div className="counts-grid">
        <Counts title="Slow consumers" counts={overview.totals.slowConsumer} labels={SLOW_LABELS} testId="slow-consumer-counts" />
        <Counts title="Errors" counts={overview.totals.errors} labels={ERROR_LABELS} testId="error-counts" />
      </div>
      <p className="muted">Running totals since each node started, over the live nodes.</p>
    </section>
  );
}

/** The cluster's nodes: alive, and those that left in the last minutes. */
export function NodesTable({ overview }: { readonly overview: Overview }) {
  return (
    <section className="admin-panel" aria-labelledby="nodes-title">
      <h2 id="nodes-title">Nodes</h2>
      <div className="table-scroll">
        <table className="data-table" data-testid="operator-nodes">
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">State</th>
              <th scope="col">Connections</th>
              <th scope="col">Started</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {overview.nodes.map((node) => (
              <tr key={node.nodeId} data-testid="operator-node" data-alive={node.alive}>
                <th scope="row">
                  <code>{node.nodeId}</code>
                  {node.nodeId === overview.nodeId ? <span className="muted"> (answered)</span> : null}
                  {node.url === null ? null : <div className="muted cell-text">{node.url}</div>}
                </th>
                <td className="cell-text">{node.alive ? 'alive' : 'left'}</td>
                <td>{number(node.connections)}</td>
                <td className="cell-text">{new Date(node.startedAt).toLocaleString()}</td>
                <td className="cell-text">{new Date(node.lastSeen).toLocaleTimeString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
