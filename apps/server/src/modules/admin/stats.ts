/**
 * Real figures of one server process for admins: connections per hub, messages, invocations,
 * uptime, memory — from Hubwire's counters and the process. cluster-stats.ts adds them up over
 * the nodes of a cluster.
 * @module
 */
import type { CounterMetrics, HubServer, Metrics, MetricName } from 'hubwire';
import type { NodeRecord } from '../../cluster/node-registry.js';

/** Counters of one hub. */
export interface HubStats {
  readonly path: string;
  readonly connections: number;
  readonly connectionsOpened: number;
  readonly connectionsClosed: number;
  readonly messagesReceived: number;
  readonly messagesSent: number;
  readonly invocations: number;
  readonly invocationErrors: number;
}

/** The figures of one node (what each node writes to the node registry). */
export interface NodeFigures {
  readonly timestamp: string;
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly connections: { readonly total: number; readonly byHub: Readonly<Record<string, number>> };
  readonly messages: { readonly received: number; readonly sent: number };
  readonly invocations: { readonly total: number; readonly errors: number };
  readonly hubs: readonly HubStats[];
  readonly memory: { readonly rssBytes: number; readonly heapUsedBytes: number; readonly heapTotalBytes: number; readonly externalBytes: number };
  readonly process: { readonly pid: number; readonly nodeVersion: string; readonly platform: string; readonly processUptimeSeconds: number };
}

/** One node in the per-node breakdown: its figures with its node id, URL, pid and start time. */
export type NodeStats = NodeRecord<NodeFigures>;

/**
 * What `GetPlatformStats`, `GET /api/admin/realtime/platform-snapshot` and `ReceivePlatformStats`
 * carry: the figures of the whole cluster (summed over its live nodes; `startedAt` is the oldest
 * node's, `process` the answering node's), with the breakdown per node.
 */
export interface PlatformStats extends NodeFigures {
  /** The node that answered. */
  readonly nodeId: string;
  /** Every live node, oldest first (one without a cluster). */
  readonly nodes: readonly NodeStats[];
  /** True when the other nodes could not be read (Redis down): the figures are this node's alone. */
  readonly partial: boolean;
}

function isCounter(metrics: Metrics | CounterMetrics): metrics is CounterMetrics {
  return typeof (metrics as Partial<CounterMetrics>).totals === 'function';
}

/** Live connections of this process, per hub and in all. */
export function connectionCounts(hubwire: HubServer, hubPaths: readonly string[]): NodeFigures['connections'] {
  const byHub = Object.fromEntries(hubPaths.map((path) => [path, hubwire.connectionCount(path)]));
  return { total: hubwire.connectionCount(), byHub };
}

/** A snapshot of this process's figures; counters read 0 when another metrics sink than Hubwire's is used. */
export function nodeFigures(hubwire: HubServer, hubPaths: readonly string[], startedAt: number, now: number): NodeFigures {
  const metrics = hubwire.metrics;
  const counter = isCounter(metrics) ? metrics : undefined;
  const totals = counter?.totals();
  const read = (counts: Partial<Record<MetricName, number>> | undefined, name: MetricName) => counts?.[name] ?? 0;
  const hubs = hubPaths.map((path): HubStats => {
    const counts = counter?.byLabel('hub', path);
    return {
      path,
      connections: hubwire.connectionCount(path),
      connectionsOpened: read(counts, 'connectionsOpened'),
      connectionsClosed: read(counts, 'connectionsClosed'),
      messagesReceived: read(counts, 'messagesReceived'),
      messagesSent: read(counts, 'messagesSent'),
      invocations: read(counts, 'invocations'),
      invocationErrors: read(counts, 'invocationErrors'),
    };
  });
  const memory = process.memoryUsage();
  return {
    timestamp: new Date(now).toISOString(),
    startedAt: new Date(startedAt).toISOString(),
    uptimeSeconds: Math.max(0, Math.round((now - startedAt) / 1000)),
    connections: connectionCounts(hubwire, hubPaths),
    messages: { received: read(totals, 'messagesReceived'), sent: read(totals, 'messagesSent') },
    invocations: { total: read(totals, 'invocations'), errors: read(totals, 'invocationErrors') },
    hubs,
    memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, heapTotalBytes: memory.heapTotal, externalBytes: memory.external },
    process: { pid: process.pid, nodeVersion: process.version, platform: process.platform, processUptimeSeconds: Math.round(process.uptime()) },
  };
}
