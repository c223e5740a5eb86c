/**
 * The admin figures of a whole cluster: the live nodes' figures from the node registry, added up,
 * with the breakdown per node. Without a cluster the registry holds one node and the totals are
 * its own figures.
 * @module
 */
import type { RegistryRead } from '../../cluster/node-registry.js';
import type { HubStats, NodeFigures, NodeStats, PlatformStats } from './stats.js';

/**
 * Sums `read.nodes` into one {@link PlatformStats}, answered by node `selfId` at `now`. The hubs
 * keep the answering node's order, then any path only other nodes serve.
 */
export function clusterStats(read: RegistryRead<NodeFigures>, selfId: string, now: number): PlatformStats {
  const nodes = read.nodes;
  const self: NodeStats = nodes.find((node) => node.nodeId === selfId) ?? nodes[0]!;
  const byHub: Record<string, number> = {};
  const hubs = new Map<string, HubStats>();
  for (const hub of self.hubs) hubs.set(hub.path, { ...hub, connections: 0, connectionsOpened: 0, connectionsClosed: 0, messagesReceived: 0, messagesSent: 0, invocations: 0, invocationErrors: 0 });
  let total = 0;
  const messages = { received: 0, sent: 0 };
  const invocations = { total: 0, errors: 0 };
  const memory = { rssBytes: 0, heapUsedBytes: 0, heapTotalBytes: 0, externalBytes: 0 };
  let oldest = self.startedAt;
  for (const node of nodes) {
    total += node.connections.total;
    for (const [path, count] of Object.entries(node.connections.byHub)) byHub[path] = (byHub[path] ?? 0) + count;
    messages.received += node.messages.received;
    messages.sent += node.messages.sent;
    invocations.total += node.invocations.total;
    invocations.errors += node.invocations.errors;
    memory.rssBytes += node.memory.rssBytes;
    memory.heapUsedBytes += node.memory.heapUsedBytes;
    memory.heapTotalBytes += node.memory.heapTotalBytes;
    memory.externalBytes += node.memory.externalBytes;
    if (node.startedAt < oldest) oldest = node.startedAt;
    for (const hub of node.hubs) {
      const sum = hubs.get(hub.path) ?? { path: hub.path, connections: 0, connectionsOpened: 0, connectionsClosed: 0, messagesReceived: 0, messagesSent: 0, invocations: 0, invocationErrors: 0 };
      hubs.set(hub.path, {
        path: hub.path,
        connections: sum.connections + hub.connections,
        connectionsOpened: sum.connectionsOpened + hub.connectionsOpened,
        connectionsClosed: sum.connectionsClosed + hub.connectionsClosed,
        messagesReceived: sum.messagesReceived + hub.messagesReceived,
        messagesSent: sum.messagesSent + hub.messagesSent,
        invocations: sum.invocations + hub.invocations,
        invocationErrors: sum.invocationErrors + hub.invocationErrors,
      });
    }
  }
  for (const path of self.hubs.map((hub) => hub.path)) byHub[path] ??= 0;
  return {
    timestamp: new Date(now).toISOString(),
    startedAt: oldest,
    uptimeSeconds: Math.max(0, Math.round((now - Date.parse(oldest)) / 1000)),
    connections: { total, byHub },
    messages,
    invocations,
    hubs: [...hubs.values()],
    memory,
    process: self.process,
    nodeId: self.nodeId,
    nodes,
    partial: read.partial,
  };
}
