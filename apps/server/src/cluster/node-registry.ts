/**
 * The node registry: every node of the cluster writes who it is (node id, URL, pid, start time)
 * and its figures to Redis on a heartbeat, with a time to live; reading it gives every live node.
 * A node killed without a goodbye drops out once its entry expires (3 heartbeats: 3 s by default).
 * Without a cluster the registry holds this process only, in the same shape.
 * @module
 */
import type { Logger } from 'pino';
import { withTimeout } from './bounded.js';
import type { ClusterContext } from './cluster-context.js';
import { NodeEntries } from './node-entries.js';

/** Who a node is. */
export interface NodeIdentity {
  readonly nodeId: string;
  /** Where the node serves (`http://host:port`); null until it listens. */
  readonly url: string | null;
  readonly pid: number;
  /** ISO time the node started. */
  readonly startedAt: string;
}

/** A node's entry: who it is and its figures. */
export type NodeRecord<F extends object> = NodeIdentity & F;

/** What a registry read returns. */
export interface RegistryRead<F extends object> {
  /** Every live node, oldest first; this node's entry is computed at the time of the read. */
  readonly nodes: readonly NodeRecord<F>[];
  /** True when the other nodes could not be read (Redis down or slow): `nodes` is this node only. */
  readonly partial: boolean;
}

/** The live nodes of the cluster. */
export interface NodeRegistry<F extends object> {
  readonly nodeId: string;
  /** How long a node's entry outlives its last heartbeat (0 without a cluster). */
  readonly ttlMs: number;
  /** This node's entry, now. */
  self(): NodeRecord<F>;
  read(): Promise<RegistryRead<F>>;
  /** Starts the heartbeat (no-op without a cluster). */
  start(): void;
  /** Stops the heartbeat and removes this node's entry. */
  stop(): Promise<void>;
}

/** What a registry is built from. */
export interface NodeRegistryOptions<F extends object> {
  readonly nodeId: string;
  /** The node's URL once it listens. */
  readonly url: () => string | undefined;
  readonly startedAt: string;
  /** This node's figures, computed at each heartbeat and read. */
  readonly figures: () => F;
  /** Heartbeat interval; the entry lives 3 × as long. */
  readonly intervalMs: number;
  /** Longest wait for Redis on a read before answering with this node alone. Default 1000 ms. */
  readonly readTimeoutMs?: number;
  readonly logger?: Logger;
}

/**
 * The registry of `cluster` (`<prefix>:app:nodes`), or of this process alone without one.
 *
 * @example
 * ```ts
 * const registry = openNodeRegistry(app.cluster, { nodeId, url: () => app.url, startedAt, figures: () => nodeFigures(), intervalMs: 1000 });
 * registry.start();
 * const { nodes, partial } = await registry.read();
 * ```
 */
export function openNodeRegistry<F extends object>(cluster: ClusterContext | undefined, options: NodeRegistryOptions<F>): NodeRegistry<F> {
  const self = (): NodeRecord<F> => ({ ...options.figures(), nodeId: options.nodeId, url: options.url() ?? null, pid: process.pid, startedAt: options.startedAt });
  if (cluster === undefined) {
    return {
      nodeId: options.nodeId,
      ttlMs: 0,
      self,
      read: async () => ({ nodes: [self()], partial: false }),
      start: () => undefined,
      stop: async () => undefined,
    };
  }
  const entries = new NodeEntries<NodeRecord<F>>({ redis: cluster.redis, key: cluster.key('nodes'), nodeId: options.nodeId, value: self, intervalMs: options.intervalMs, logger: options.logger });
  return {
    nodeId: options.nodeId,
    ttlMs: entries.ttlMs,
    self,
    async read() {
      const own = self();
      try {
        const live = await withTimeout(entries.read(), options.readTimeoutMs ?? 1000);
        const others = live.filter((entry) => entry.nodeId !== own.nodeId).map((entry) => entry.value);
        return { nodes: [own, ...others].sort(byAge), partial: false };
      } catch (error) {
        options.logger?.debug({ err: { message: (error as Error).message } }, 'node registry not readable; answering for this node alone');
        return { nodes: [own], partial: true };
      }
    },
    start: () => entries.start(),
    stop: () => entries.stop(),
  };
}

function byAge(a: NodeIdentity, b: NodeIdentity): number {
  return a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0;
}
