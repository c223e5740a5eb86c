/**
 * The admin feature: `/hubs/admin`, `/api/admin/realtime/…`, the node registry its figures come
 * from, and the periodic push of live platform stats to the `analytics` group (one pusher per
 * cluster: the node that holds the `admin-stats` lease).
 * @module
 */
import type { TimerHandle } from 'hubwire';
import type { AppContext, AppModule } from '../../app-context.js';
import { newNodeId } from '../../cluster/cluster-context.js';
import { openLease } from '../../cluster/lease.js';
import { openNodeRegistry, type NodeRegistry } from '../../cluster/node-registry.js';
import { AdminHub } from './admin-hub.js';
import { AdminBroadcaster } from './broadcaster.js';
import { clusterStats } from './cluster-stats.js';
import { registerAdminRoutes } from './routes.js';
import { nodeFigures, type NodeFigures, type PlatformStats } from './stats.js';

export const ADMIN_HUB_PATH = '/hubs/admin';
/** The role the hub and the protected endpoints require. */
export const ADMIN_ROLE = 'admin';
/** The lease of the periodic stats push. */
export const ADMIN_STATS_LEASE = 'admin-stats';

/** The admin module; `broadcaster` and `registry` are available once it is registered. */
export interface AdminModule extends AppModule {
  readonly broadcaster: AdminBroadcaster | undefined;
  readonly registry: NodeRegistry<NodeFigures> | undefined;
}

/** Builds the module (the server uses {@link adminModule}). */
export function createAdminModule(): AdminModule {
  let broadcaster: AdminBroadcaster | undefined;
  let nodes: NodeRegistry<NodeFigures> | undefined;
  return {
    name: 'admin',
    get broadcaster() {
      return broadcaster;
    },
    get registry() {
      return nodes;
    },
    register(app: AppContext) {
      const logger = app.logger.child({ module: 'admin' });
      const startedAt = app.clock.now();
      const nodeId = app.cluster?.nodeId ?? newNodeId();
      const registry = openNodeRegistry(app.cluster, {
        nodeId,
        url: () => app.url,
        startedAt: new Date(startedAt).toISOString(),
        figures: () => nodeFigures(app.hubwire, app.hubPaths, startedAt, app.clock.now()),
        intervalMs: app.config.redis.heartbeatMs,
        logger,
      });
      nodes = registry;
      registry.start();
      const stats = async (): Promise<PlatformStats> => clusterStats(await registry.read(), nodeId, app.clock.now());
      const sender = new AdminBroadcaster(() => app.hubwire.hubContext(AdminHub));
      broadcaster = sender;
      app.hubwire.mapHub(ADMIN_HUB_PATH, AdminHub, {
        authorize: { roles: [ADMIN_ROLE] },
        create: () => new AdminHub({ broadcaster: sender, stats, connectionCount: async () => (await stats()).connections.total, clock: app.clock }),
      });
      registerAdminRoutes(app.routes, { broadcaster: sender, stats, clock: app.clock, hubPath: ADMIN_HUB_PATH, demo: app.config.demo });

      const interval = app.config.simulators.admin.statsIntervalMs;
      const lease = interval > 0 ? openLease(app.cluster, ADMIN_STATS_LEASE, { ttlMs: app.config.redis.leaseTtlMs, logger }) : undefined;
      let timer: TimerHandle | undefined;
      lease?.onChange((held) => {
        timer?.cancel();
        timer = undefined;
        if (!held) return;
        timer = app.clock.setInterval(() => {
          // Checked at each push: a node that lost the lease while blocked must not push once more.
          if (!lease.held) return;
          stats()
            .then((figures) => sender.send('platformStats', figures))
            .catch((error: unknown) => logger.error({ err: error }, 'platform stats not sent'));
        }, interval);
      });
      app.onStop(async () => {
        timer?.cancel();
        await lease?.stop();
        await registry.stop();
      });
      logger.debug({ statsIntervalMs: interval, nodeId, heartbeatMs: app.cluster === undefined ? null : app.config.redis.heartbeatMs }, 'admin module registered');
    },
  };
}

/** The module the server registers. */
export const adminModule: AdminModule = createAdminModule();
