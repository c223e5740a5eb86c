/**
 * Which organizations have connected members, and how many, across the cluster. Each node knows
 * its own connections (the {@link OrganizationDirectory}); in a cluster it also writes its counts
 * per organization to Redis as a per-node entry with a TTL, rewritten on every change and on the
 * heartbeat, and readers add up the live nodes' entries. A node that dies drops out with its
 * entry, so its members stop being counted within 3 heartbeats.
 * @module
 */
import type { Logger } from 'pino';
import { withTimeout } from '../../cluster/bounded.js';
import type { ClusterContext } from '../../cluster/cluster-context.js';
import { NodeEntries } from '../../cluster/node-entries.js';
import type { OrganizationDirectory } from './synaxis-hub.js';

/** Organization members of the whole cluster (of this process without one). */
export interface OrganizationMembers {
  /** Organizations with at least one connected member on any node. */
  organizations(): Promise<string[]>;
  /** Connections, on every node, that joined the organization. */
  memberCount(organizationId: string): Promise<number>;
  /** This node's directory changed: resolves once the other nodes can see it (never rejects). */
  changed(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

/** The members of `directory`'s process alone. */
export function localMembers(directory: OrganizationDirectory): OrganizationMembers {
  return {
    organizations: async () => directory.organizations(),
    memberCount: async (organizationId) => directory.memberCount(organizationId),
    changed: async () => undefined,
    start: () => undefined,
    stop: async () => undefined,
  };
}

/** The members of every node of `cluster`, this node's from `directory`. */
export function clusterMembers(cluster: ClusterContext, directory: OrganizationDirectory, options: { intervalMs: number; logger?: Logger }): OrganizationMembers {
  const entries = new NodeEntries<Record<string, number>>({
    redis: cluster.redis,
    key: cluster.key('synaxis', 'members'),
    nodeId: cluster.nodeId,
    value: () => directory.counts(),
    intervalMs: options.intervalMs,
    logger: options.logger,
  });
  // This node's counts are always its own of now; the others' as last written. When Redis cannot
  // answer, this node's members are still counted, alone.
  const totals = async (): Promise<Map<string, number>> => {
    const sums = new Map(Object.entries(directory.counts()));
    try {
      for (const entry of await withTimeout(entries.read(), 1000)) {
        if (entry.nodeId === cluster.nodeId) continue;
        for (const [organizationId, count] of Object.entries(entry.value)) sums.set(organizationId, (sums.get(organizationId) ?? 0) + count);
      }
    } catch (error) {
      options.logger?.debug({ err: { message: (error as Error).message } }, 'other nodes\' organization members not readable; counting this node\'s');
    }
    return sums;
  };
  return {
    organizations: async () => [...(await totals()).entries()].filter(([, count]) => count > 0).map(([organizationId]) => organizationId),
    memberCount: async (organizationId) => (await totals()).get(organizationId) ?? 0,
    changed: () => entries.publish(),
    start: () => entries.start(),
    stop: () => entries.stop(),
  };
}
