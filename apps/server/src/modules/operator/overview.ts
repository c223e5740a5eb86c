/**
 * `GET /api/operator/overview`: per hub, its connections over the cluster (from presence) and
 * how many groups it has, its connections by transport and protocol and its counters (summed over
 * the live nodes of the operator registry), the cluster's nodes, and the totals.
 *
 * `scope` says what the registry sums cover: `cluster` (every live node; one process is a cluster
 * of one) or `node` (Redis could not be read: this node's figures alone). A hub whose presence
 * cannot be read falls back to the registry's count of its connections and lists no group count.
 * @module
 */
import type { HubServer } from 'hubwire';
import type { RegistryRead } from '../../cluster/node-registry.js';
import { hubNameOf } from '../data-plane/index.js';
import { addFigures, emptySums, sumByPath, total, type FigureSums } from './cluster-figures.js';
import type { ErrorCounts, OperatorNodeFigures, SlowConsumerCounts } from './node-figures.js';
import type { NodeWatch } from './node-watch.js';

/** Count tables as answered: each count, and their total. */
type WithTotal<T> = T & { readonly total: number };

/** The figures of one hub, or of all of them, as the overview answers them. */
export type OverviewFigures = Omit<FigureSums, 'slowConsumer' | 'errors'> & {
  /** Groups with at least one member, over the cluster; null when presence could not be read. */
  readonly groups: number | null;
  readonly slowConsumer: WithTotal<SlowConsumerCounts>;
  readonly errors: WithTotal<ErrorCounts>;
};

/** The overview's answer. */
export interface Overview {
  readonly timestamp: string;
  /** The node that answered. */
  readonly nodeId: string;
  readonly scope: 'cluster' | 'node';
  readonly totals: OverviewFigures;
  readonly hubs: readonly (OverviewFigures & { readonly hub: string; readonly path: string })[];
  readonly nodes: readonly {
    readonly nodeId: string;
    readonly url: string | null;
    readonly startedAt: string;
    readonly alive: boolean;
    readonly lastSeen: string;
    readonly connections: number;
  }[];
}

/** What the overview is built from. */
export interface OverviewSources {
  readonly hubwire: HubServer;
  readonly hubPaths: readonly string[];
  readonly nodeId: string;
  /** A registry read, already shown to `watch`. */
  readonly registry: () => Promise<RegistryRead<OperatorNodeFigures>>;
  readonly watch: NodeWatch;
  readonly now: () => number;
}

/** Builds the overview (one registry read, two presence questions per hub, asked at once). */
export async function buildOverview(sources: OverviewSources): Promise<Overview> {
  const read = await sources.registry();
  const now = sources.now();
  const sums = sumByPath(read.nodes.map((node) => node.hubs));
  const perHub = await Promise.all(
    sources.hubPaths.map(async (path) => {
      const summed = sums.get(path) ?? emptySums();
      const presence = sources.hubwire.hubContext(path).presence;
      const [connections, groups] = await Promise.all([presence.connectionCount().catch(() => summed.connections), presence.groupCount().catch(() => null)]);
      return { path, figures: { ...summed, connections }, groups };
    }),
  );
  const all = perHub.reduce((sum, hub) => addFigures(sum, hub.figures), emptySums());
  const groups = perHub.some((hub) => hub.groups === null) ? null : perHub.reduce((sum, hub) => sum + (hub.groups ?? 0), 0);
  return {
    timestamp: new Date(now).toISOString(),
    nodeId: sources.nodeId,
    scope: read.partial ? 'node' : 'cluster',
    totals: withTotals(all, groups),
    hubs: perHub.map((hub) => ({ hub: hubNameOf(hub.path), path: hub.path, ...withTotals(hub.figures, hub.groups) })),
    nodes: sources.watch.list().map((node) => ({ ...node, lastSeen: new Date(node.lastSeen).toISOString() })),
  };
}

function withTotals(figures: FigureSums, groups: number | null): OverviewFigures {
  return {
    ...figures,
    groups,
    slowConsumer: { ...figures.slowConsumer, total: total(figures.slowConsumer) },
    errors: { ...figures.errors, total: total(figures.errors) },
  };
}
