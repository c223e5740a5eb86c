/**
 * The platform stats as they arrive (GetPlatformStats at connect, then ReceivePlatformStats):
 * connections over the cluster and per hub, messages, invocations, uptime, memory, nodes.
 * @module
 */
import type { PlatformStats, PlatformStatus, UserCountUpdate } from '../../hubs/contracts';

const number = (value: number) => value.toLocaleString();
const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Seconds as `2 h 5 min`, `3 min 4 s`, `12 s`. */
export function formatUptime(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = Math.floor(seconds % 60);
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return `${minutes} min ${rest} s`;
  return `${rest} s`;
}

function Stat({ label, value, testId, hint }: { readonly label: string; readonly value: string; readonly testId?: string; readonly hint?: string }) {
  return (
    <div className="stat" title={hint}>
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

/** The stats panel. */
export function StatsPanel({ stats, userCount, status }: { readonly stats: PlatformStats | undefined; readonly userCount: UserCountUpdate | undefined; readonly status: PlatformStatus | undefined }) {
  return (
    <section className="admin-panel" aria-labelledby="stats-title" data-testid="platform-stats" data-timestamp={stats?.timestamp}>
      <h2 id="stats-title">Platform</h2>
      {status === undefined ? null : (
        <p className={`notice platform-status platform-${status.status}`} data-testid="platform-status" data-status={status.status}>
          <strong>{status.status}</strong>
          {status.message === null ? null : <> · {status.message}</>}
        </p>
      )}
      {stats === undefined ? (
        <p className="muted" data-testid="stats-waiting">
          Waiting for the first figures…
        </p>
      ) : (
        <>
          <dl className="stats">
            <Stat label="Connections" value={number(stats.connections.total)} testId="stat-connections" />
            <Stat label="Messages in" value={number(stats.messages.received)} testId="stat-messages-in" />
            <Stat label="Messages out" value={number(stats.messages.sent)} testId="stat-messages-out" />
            <Stat label="Invocations" value={number(stats.invocations.total)} testId="stat-invocations" hint={`${stats.invocations.errors} ended with an error`} />
            <Stat label="Invocation errors" value={number(stats.invocations.errors)} />
            <Stat label="Uptime" value={formatUptime(stats.uptimeSeconds)} testId="stat-uptime" />
            <Stat label="Memory (RSS)" value={megabytes(stats.memory.rssBytes)} hint={`heap ${megabytes(stats.memory.heapUsedBytes)} of ${megabytes(stats.memory.heapTotalBytes)}`} />
            <Stat label="Nodes" value={`${stats.nodes.length}${stats.partial ? ' (others unreadable)' : ''}`} testId="stat-nodes" />
            {userCount === undefined ? null : <Stat label="Users active / total" value={`${number(userCount.active)} / ${number(userCount.total)}`} testId="stat-users" hint={userCount.newToday === null ? undefined : `${userCount.newToday} new today`} />}
          </dl>
          <div className="table-scroll">
          <table className="data-table" data-testid="hub-stats">
            <caption className="muted">Per hub, over the cluster · as of {new Date(stats.timestamp).toLocaleTimeString()}</caption>
            <thead>
              <tr>
                <th scope="col">Hub</th>
                <th scope="col">Connections</th>
                <th scope="col">Messages in</th>
                <th scope="col">Messages out</th>
                <th scope="col">Invocations</th>
              </tr>
            </thead>
            <tbody>
              {stats.hubs.map((hub) => (
                <tr key={hub.path} data-hub={hub.path}>
                  <th scope="row">
                    <code>{hub.path}</code>
                  </th>
                  <td>{number(hub.connections)}</td>
                  <td>{number(hub.messagesReceived)}</td>
                  <td>{number(hub.messagesSent)}</td>
                  <td>
                    {number(hub.invocations)}
                    {hub.invocationErrors > 0 ? <span className="muted"> ({hub.invocationErrors} failed)</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
        </>
      )}
    </section>
  );
}
