/**
 * The admin feature: `/hubs/admin`, `/api/admin/realtime/…`, and the periodic push of live
 * platform stats to the `analytics` group.
 * @module
 */
import type { TimerHandle } from 'hubwire';
import type { AppContext, AppModule } from '../../app-context.js';
import { AdminHub } from './admin-hub.js';
import { AdminBroadcaster } from './broadcaster.js';
import { registerAdminRoutes } from './routes.js';
import { platformStats } from './stats.js';

export const ADMIN_HUB_PATH = '/hubs/admin';
/** The role the hub and the protected endpoints require. */
export const ADMIN_ROLE = 'admin';

/** The admin module; `broadcaster` is available once it is registered. */
export interface AdminModule extends AppModule {
  readonly broadcaster: AdminBroadcaster | undefined;
}

/** Builds the module (the server uses {@link adminModule}). */
export function createAdminModule(): AdminModule {
  let broadcaster: AdminBroadcaster | undefined;
  return {
    name: 'admin',
    get broadcaster() {
      return broadcaster;
    },
    register(app: AppContext) {
      const logger = app.logger.child({ module: 'admin' });
      const startedAt = app.clock.now();
      const stats = () => platformStats(app.hubwire, app.hubPaths, startedAt, app.clock.now());
      const sender = new AdminBroadcaster(() => app.hubwire.hubContext(AdminHub));
      broadcaster = sender;
      app.hubwire.mapHub(ADMIN_HUB_PATH, AdminHub, {
        authorize: { roles: [ADMIN_ROLE] },
        create: () => new AdminHub({ broadcaster: sender, stats, connectionCount: () => app.hubwire.connectionCount(), clock: app.clock }),
      });
      registerAdminRoutes(app.routes, { broadcaster: sender, stats, clock: app.clock, hubPath: ADMIN_HUB_PATH, demo: app.config.demo });
      const interval = app.config.simulators.admin.statsIntervalMs;
      let timer: TimerHandle | undefined;
      if (interval > 0) {
        timer = app.clock.setInterval(() => {
          sender.send('platformStats', stats()).catch((error: unknown) => logger.error({ err: error }, 'platform stats not sent'));
        }, interval);
      }
      app.onStop(() => timer?.cancel());
      logger.debug({ statsIntervalMs: interval }, 'admin module registered');
    },
  };
}

/** The module the server registers. */
export const adminModule: AdminModule = createAdminModule();
