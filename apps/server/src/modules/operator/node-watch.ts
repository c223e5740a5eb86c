/**
 * The nodes this node has seen in the operator registry, so the console can show a node that
 * went away (killed, or stopped) as not alive with when it was last seen, instead of letting it
 * vanish. A node is forgotten `forgetAfterMs` after it was last seen; memory stays bounded by
 * the nodes of that window.
 * @module
 */

/** A node as the console lists it. */
export interface WatchedNode {
  readonly nodeId: string;
  /** Where it serves (`http://host:port`), when it said. */
  readonly url: string | null;
  /** ISO time it started. */
  readonly startedAt: string;
  /** In the registry's last read: its entry was still fresh. */
  readonly alive: boolean;
  /** When its entry was last written (epoch ms, its clock). */
  readonly lastSeen: number;
  /** Its live hub connections (0 once it is not alive). */
  readonly connections: number;
}

/** What a registry read says of one live node. */
export interface SeenNode {
  readonly nodeId: string;
  readonly url: string | null;
  readonly startedAt: string;
  readonly lastSeen: number;
  readonly connections: number;
}

/** What {@link NodeWatch.observe} takes from a registry entry. */
export function seenNode(node: { readonly nodeId: string; readonly url: string | null; readonly startedAt: string; readonly takenAt: number; readonly hubs: readonly { readonly connections: number }[] }): SeenNode {
  return { nodeId: node.nodeId, url: node.url, startedAt: node.startedAt, lastSeen: node.takenAt, connections: node.hubs.reduce((sum, hub) => sum + hub.connections, 0) };
}

/**
 * @example
 * ```ts
 * const watch = new NodeWatch(600_000);
 * watch.observe(liveNodes, false, clock.now());
 * watch.list(); // the live ones, then the ones gone within 10 min
 * ```
 */
export class NodeWatch {
  readonly #forgetAfterMs: number;
  readonly #known = new Map<string, WatchedNode>();

  constructor(forgetAfterMs: number) {
    this.#forgetAfterMs = forgetAfterMs;
  }

  /**
   * Records a registry read at `now`. A `partial` read (the others could not be read) says
   * nothing about the others, so they keep what they had.
   */
  observe(live: readonly SeenNode[], partial: boolean, now: number): void {
    const present = new Set(live.map((node) => node.nodeId));
    for (const node of live) this.#known.set(node.nodeId, { ...node, alive: true });
    for (const [nodeId, node] of this.#known) {
      if (present.has(nodeId)) continue;
      if (now - node.lastSeen > this.#forgetAfterMs) this.#known.delete(nodeId);
      else if (!partial && node.alive) this.#known.set(nodeId, { ...node, alive: false, connections: 0 });
    }
  }

  /** Every known node: the live ones first, each group by node id. */
  list(): WatchedNode[] {
    return [...this.#known.values()].sort((a, b) => Number(b.alive) - Number(a.alive) || (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  }
}
