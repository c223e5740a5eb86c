/**
 * One set-up of the redis-broadcast scenario: one or more server processes (nodes: Hubwire,
 * or Socket.IO on its Redis adapter) and one load-generator process whose connections are spread evenly over the nodes. Nodes
 * on the backplane share a Redis prefix of their own, so set-ups measured side by side never
 * receive each other's broadcasts. `stop()` never throws and stops every process it started.
 */
import { spawnChild, type Child } from '../lib/children.js';
import type { LoaderCommands, LoaderStatus, OpenResult, ServerCommands, ServerInfo, ServerKind } from '../lib/commands.js';
import type { BenchConfig } from '../lib/config.js';

export interface ClusterSpec {
  /** Key in the results and in process names. */
  id: string;
  label: string;
  nodes: number;
  /** Redis prefix of the backplane, or undefined for the memory lifetime manager. */
  redisPrefix: string | undefined;
  /** The server process's entry file. */
  entry: URL;
  /** The protocol the load generator speaks to it. */
  client: ServerKind;
}

const STARTUP_TIMEOUT_MS = 30_000;
const SHORT_TIMEOUT_MS = 10_000;

export class Cluster {
  private constructor(
    readonly spec: ClusterSpec,
    readonly nodes: readonly Child<ServerCommands>[],
    readonly infos: readonly ServerInfo[],
    readonly loader: Child<LoaderCommands>,
    private readonly config: BenchConfig,
  ) {}

  /** The node every broadcast is triggered on. */
  get sender(): Child<ServerCommands> {
    return this.nodes[0] as Child<ServerCommands>;
  }

  /** Start the nodes and the loader concurrently; on any failure, whatever started is stopped. */
  static async start(spec: ClusterSpec, config: BenchConfig): Promise<Cluster> {
    const env: Record<string, string> =
      spec.redisPrefix === undefined ? {} : { BENCH_REDIS_URL: config.redisBroadcast.url, BENCH_REDIS_PREFIX: spec.redisPrefix };
    const [loaderStart, nodeStarts] = await Promise.all([
      Promise.allSettled([
        spawnChild<LoaderCommands, unknown>(new URL('../load/loader.ts', import.meta.url), { name: `${spec.id}-load`, readyTimeoutMs: STARTUP_TIMEOUT_MS }),
      ]),
      Promise.allSettled(
        Array.from({ length: spec.nodes }, (_, i) =>
          spawnChild<ServerCommands, ServerInfo>(spec.entry, { name: `${spec.id}-node${i + 1}`, env, readyTimeoutMs: STARTUP_TIMEOUT_MS }),
        ),
      ),
    ]);
    const loader = fulfilled(loaderStart);
    const nodes = fulfilled(nodeStarts);
    const failed = [...loaderStart, ...nodeStarts].find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed || loader[0] === undefined) {
      await Promise.all([...loader, ...nodes].map(({ child }) => child.stop()));
      throw failed?.reason ?? new Error('load generator did not start');
    }
    return new Cluster(
      spec,
      nodes.map((n) => n.child),
      nodes.map((n) => n.info),
      loader[0].child,
      config,
    );
  }

  /** Open `count` connections, node by node, as evenly as they divide; fails if any could not open. */
  async open(count: number): Promise<OpenResult> {
    const { openBatchSize, connectTimeoutMs } = this.config;
    const total: OpenResult = { open: 0, failed: 0, elapsedMs: 0, failureSamples: [] };
    for (let i = 0; i < this.infos.length; i++) {
      const share = Math.floor(count / this.infos.length) + (i < count % this.infos.length ? 1 : 0);
      const batches = Math.ceil(share / openBatchSize);
      const result = await this.loader.request(
        'open',
        { kind: this.spec.client, port: (this.infos[i] as ServerInfo).port, count: share, batchSize: openBatchSize, connectTimeoutMs },
        batches * (connectTimeoutMs + 1_000) + SHORT_TIMEOUT_MS,
      );
      total.open = result.open;
      total.failed += result.failed;
      total.elapsedMs += result.elapsedMs;
      total.failureSamples.push(...result.failureSamples);
    }
    if (total.failed > 0) {
      throw new Error(`${total.failed} of ${count} connections failed to open, e.g.:\n  ${total.failureSamples.slice(0, 5).join('\n  ')}`);
    }
    return total;
  }

  /** Connections each node reports (null where the node cannot tell: the memory manager). */
  connectionCounts(): Promise<(number | null)[]> {
    return Promise.all(this.nodes.map((node) => node.request('connections', null, 5_000)));
  }

  /** Loader status; its CPU figure covers the time since the previous call. */
  status(): Promise<LoaderStatus> {
    return this.loader.request('status', null, SHORT_TIMEOUT_MS);
  }

  async closeAll(): Promise<void> {
    await this.loader.request('closeAll', null, SHORT_TIMEOUT_MS);
  }

  async stop(): Promise<void> {
    await Promise.all([
      this.loader.stop(() => this.loader.request('closeAll', null, SHORT_TIMEOUT_MS)),
      ...this.nodes.map((node) => node.stop(() => node.request('stop', null, SHORT_TIMEOUT_MS))),
    ]);
  }
}

function fulfilled<T>(outcomes: PromiseSettledResult<T>[]): T[] {
  return outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
}
