/**
 * The operator's node registry: each node writes who it is and its {@link OperatorNodeFigures}
 * under `<prefix>:app:operator:nodes` on the app's heartbeat (the same node entries the admin
 * registry and synaxis memberships are built on, with a key of its own: the admin figures and
 * these differ), and a read gives every live node. Without a cluster it holds this process alone.
 * @module
 */
import type { Logger } from 'pino';
import { withTimeout } from '../../cluster/bounded.js';
import type { ClusterContext } from '../../cluster/cluster-context.js';
import { NodeEntries } from '../../cluster/node-entries.js';
import type { NodeRecord, RegistryRead } from '../../cluster/node-registry.js';
import type { OperatorNodeFigures } from './node-figures.js';

/** One node's entry. */
export type OperatorNode = NodeRecord<OperatorNodeFigures>;

/** The live nodes and their figures. */
export interface OperatorRegistry {
  /** Every live node (this one computed now), by node id; `partial` when only this one could be read. */
  read(): Promise<RegistryRead<OperatorNodeFigures>>;
  /** Starts the heartbeat (nothing to do without a cluster). */
  start(): void;
  /** Stops it and removes this node's entry. */
  stop(): Promise<void>;
}

/** What the registry is built from. */
export interface OperatorRegistryOptions {
  readonly nodeId: string;
  readonly url: () => string | undefined;
  readonly startedAt: string;
  readonly figures: () => OperatorNodeFigures;
  readonly intervalMs: number;
  /** Longest wait for Redis on a read before answering with this node alone. Default 1000 ms. */
  readonly readTimeoutMs?: number;
  readonly logger?: Logger;
}

/**
 * @example
 * ```ts
 * const registry = openOperatorRegistry(app.cluster, { nodeId, url: () => app.url, startedAt, figures, intervalMs: 1000 });
 * registry.start();
 * const { nodes, partial } = await registry.read();
 * ```
 */
export function openOperatorRegistry(cluster: ClusterContext | undefined, options: OperatorRegistryOptions): OperatorRegistry {
  const self = (): OperatorNode => ({ ...options.figures(), nodeId: options.nodeId, url: options.url() ?? null, pid: process.pid, startedAt: options.startedAt });
  if (cluster === undefined) return { read: async () => ({ nodes: [self()], partial: false }), start: () => undefined, stop: async () => undefined };
  const entries = new NodeEntries<OperatorNode>({ redis: cluster.redis, key: cluster.key('operator', 'nodes'), nodeId: options.nodeId, value: self, intervalMs: options.intervalMs, logger: options.logger });
  return {
    async read() {
      const own = self();
      try {
        const live = await withTimeout(entries.read(), options.readTimeoutMs ?? 1000);
        const others = live.filter((entry) => entry.nodeId !== own.nodeId).map((entry) => entry.value);
        return { nodes: [own, ...others].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0)), partial: false };
      } catch (error) {
        options.logger?.debug({ err: { message: (error as Error).message } }, 'operator registry not readable; answering for this node alone');
        return { nodes: [own], partial: true };
      }
    },
    start: () => entries.start(),
    stop: () => entries.stop(),
  };
}
