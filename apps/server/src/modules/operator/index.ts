/**
 * The operator feature (issue 12): the server side of the web app's operator console — Hubwire
 * itself as an admin sees it. `/api/operator/…` (admin only) answers connections per hub by
 * transport and protocol, the cluster's nodes, groups and their members, a user's connections,
 * slow-consumer and error counts, and rates over time; and sends a test message or disconnects
 * a connection on any node.
 *
 * Built from what the app has: Hubwire's counters in the app's metric cells (node-figures.ts),
 * node entries on Redis for the cluster-wide sums (operator-registry.ts), presence for members,
 * and the data plane's directory, node mesh and operations for connection facts, sends and
 * closes. The sampler (series-sampler.ts) runs on the app's clock and stops with the app.
 * @module
 */
import type { AppContext, AppModule } from '../../app-context.js';
import { newNodeId } from '../../cluster/cluster-context.js';
import { MetricCells } from '../../observability/cells.js';
import { dataPlaneOf } from '../data-plane/index.js';
import { nodeFigures } from './node-figures.js';
import { NodeWatch, seenNode } from './node-watch.js';
import { openOperatorRegistry } from './operator-registry.js';
import { buildOverview } from './overview.js';
import { registerOperatorRoutes } from './routes.js';
import { SeriesSampler } from './series-sampler.js';

/** How often the sampler samples by default (ms). */
export const DEFAULT_SAMPLE_INTERVAL_MS = 5000;
/** How much history it keeps by default (ms). */
export const DEFAULT_SERIES_WINDOW_MS = 10 * 60_000;

/** What {@link createOperatorModule} may change (tests shorten them). */
export interface OperatorModuleOptions {
  /** Default {@link DEFAULT_SAMPLE_INTERVAL_MS}. */
  readonly sampleIntervalMs?: number;
  /** Default {@link DEFAULT_SERIES_WINDOW_MS}. */
  readonly seriesWindowMs?: number;
}

/** The operator module; `sampler` is there once it is registered (tests take samples by hand). */
export interface OperatorModule extends AppModule {
  readonly sampler: SeriesSampler | undefined;
}

/** Builds the module (the server uses {@link operatorModule}). */
export function createOperatorModule(options: OperatorModuleOptions = {}): OperatorModule {
  let sampler: SeriesSampler | undefined;
  return {
    name: 'operator',
    get sampler() {
      return sampler;
    },
    async register(app: AppContext) {
      const logger = app.logger.child({ module: 'operator' });
      // The app hands its MetricCells to every module as AppMetrics; the console reads them back.
      const cells = app.metrics instanceof MetricCells ? app.metrics : undefined;
      const nodeId = app.cluster?.nodeId ?? (await processNodeId(app));
      const windowMs = options.seriesWindowMs ?? DEFAULT_SERIES_WINDOW_MS;
      const registry = openOperatorRegistry(app.cluster, {
        nodeId,
        url: () => app.url,
        startedAt: new Date(app.clock.now()).toISOString(),
        figures: () => nodeFigures(app.hubwire, app.hubPaths, cells, app.clock.now()),
        intervalMs: app.config.redis.heartbeatMs,
        logger,
      });
      const watch = new NodeWatch(windowMs);
      const read = async () => {
        const nodes = await registry.read();
        watch.observe(nodes.nodes.map(seenNode), nodes.partial, app.clock.now());
        return nodes;
      };
      const series = new SeriesSampler({ read, clock: app.clock, intervalMs: options.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS, windowMs, logger });
      sampler = series;
      registerOperatorRoutes(app.routes, {
        hubwire: app.hubwire,
        hubPaths: () => app.hubPaths,
        overview: () => buildOverview({ hubwire: app.hubwire, hubPaths: app.hubPaths, nodeId, registry: read, watch, now: () => app.clock.now() }),
        sampler: series,
        target: (path, url) => {
          const dataPlane = dataPlaneOf(app.hubwire);
          // app.ts starts the data plane before the server listens, so no request comes earlier.
          if (dataPlane === undefined) throw new Error('The data plane is not started.');
          return dataPlane.target(path, `${app.url ?? 'http://localhost'}${url}`);
        },
        logger,
      });
      registry.start();
      series.start();
      app.onStop(async () => {
        await series.stop();
        await registry.stop();
      });
      logger.debug({ nodeId, sampleIntervalMs: series.intervalMs, seriesWindowMs: windowMs }, 'operator module registered');
    },
  };
}

/**
 * Without a cluster, the id presence gives this process (every memory lifetime manager of it
 * shares one), so the console's node list and its group members name the same node.
 */
async function processNodeId(app: AppContext): Promise<string> {
  const [first] = app.hubPaths;
  if (first === undefined) return newNodeId();
  const [self] = await app.hubwire.hubContext(first).presence.nodes().catch(() => []);
  return self?.nodeId ?? newNodeId();
}

/** The module the server registers. */
export const operatorModule: OperatorModule = createOperatorModule();
