/**
 * The campaigns feature: `/hubs/campaigns`, `/api/campaigns…` and the simulated orchestration.
 * @module
 */
import type { Clock, HubServer } from 'hubwire';
import type { AppContext, AppModule } from '../../app-context.js';
import { campaignHistoryWindow, campaignRecovery, entryOf, type CampaignHistoryWindow } from './campaign-history.js';
import { CampaignMetrics } from './campaign-metrics.js';
import { CampaignsHub } from './campaigns-hub.js';
import { campaignGroup } from './model.js';
import { MemoryCampaignStore } from './memory-store.js';
import { CampaignOrchestrator, type CampaignPublisher } from './orchestrator.js';
import { RedisCampaignStore } from './redis-store.js';
import { registerCampaignRoutes } from './routes.js';
import { sequenceOf } from './run.js';

export const CAMPAIGNS_HUB_PATH = '/hubs/campaigns';

/**
 * Options for tests: a clock other than the app's, or no timers at all (drive runs with
 * `orchestrator.step`), and on a cluster shorter claim times than the defaults.
 */
export interface CampaignsModuleOptions {
  readonly clock?: Clock;
  readonly autoRun?: boolean;
  readonly maxActiveRuns?: number;
  /** On a cluster: a run whose owner stops renewing is taken over this long after its last renewal (ms). Default 3000. */
  readonly claimTtlMs?: number;
  /** On a cluster: how often claims are renewed and orphaned runs looked for (ms). Default 1000. */
  readonly claimUpkeepMs?: number;
  /**
   * The history window of each campaign's group (docs/hubs.md): default 64 entries and the
   * longest run's life plus 10 minutes. Tests make it small to reach the snapshot fallback.
   */
  readonly history?: Partial<CampaignHistoryWindow>;
}

/** The campaigns module; `orchestrator` is available once it is registered. */
export interface CampaignsModule extends AppModule {
  readonly orchestrator: CampaignOrchestrator | undefined;
}

/** Builds the module (the server uses {@link campaignsModule}; tests pass options). */
export function createCampaignsModule(options: CampaignsModuleOptions = {}): CampaignsModule {
  let orchestrator: CampaignOrchestrator | undefined;
  return {
    name: 'campaigns',
    get orchestrator() {
      return orchestrator;
    },
    register(app: AppContext) {
      const logger = app.logger.child({ module: 'campaigns' });
      // Alone: in memory, as always. In a cluster: in Redis, so every node reads, cancels and
      // can take over every run.
      const metrics = new CampaignMetrics(app.metrics);
      const store = app.cluster === undefined ? new MemoryCampaignStore() : new RedisCampaignStore({ cluster: app.cluster, claimTtlMs: options.claimTtlMs });
      const campaigns = new CampaignOrchestrator({
        publisher: groupPublisher(app.hubwire, metrics),
        store,
        stepMs: app.config.simulators.campaigns.stepMs,
        clock: options.clock ?? app.clock,
        autoRun: options.autoRun,
        maxActiveRuns: options.maxActiveRuns,
        claimUpkeepMs: options.claimUpkeepMs,
        logger,
      });
      orchestrator = campaigns;
      const history = { ...campaignHistoryWindow(app.config.simulators.campaigns.stepMs), ...options.history };
      app.hubwire.mapHub(CAMPAIGNS_HUB_PATH, CampaignsHub, {
        create: () => new CampaignsHub(campaigns, metrics),
        recovery: campaignRecovery(history),
        // SubscribeToCampaign(id) as before, and SubscribeToCampaign(id, fromSequence).
        optionalParameters: { subscribeToCampaign: 1 },
      });
      registerCampaignRoutes(app.routes, campaigns, CAMPAIGNS_HUB_PATH, logger);
      campaigns.start();
      // Graceful: this node's runs are handed over to the others (released), not cancelled.
      app.onStop(() => campaigns.stop());
      logger.debug({ stepMs: app.config.simulators.campaigns.stepMs, store: app.cluster === undefined ? 'memory' : 'redis', history }, 'campaigns module registered');
    },
  };
}

/** The module the server registers. */
export const campaignsModule: CampaignsModule = createCampaignsModule();

/**
 * Publishes each message to the campaign's recoverable group at its sequence number (a history
 * entry per number), counting it as new or as a duplicate the history dropped. The orchestrator
 * awaits each send before the next of the same campaign, so they go out in sequence order
 * whatever the lifetime manager. Exported for the metrics test, which sends one twice.
 */
export function groupPublisher(hubwire: HubServer, metrics: CampaignMetrics): CampaignPublisher {
  let hub: ReturnType<typeof hubwire.hubContext<CampaignsHub>> | undefined;
  return {
    async send(message) {
      hub ??= hubwire.hubContext(CampaignsHub);
      const campaignId = message.kind === 'artifact' ? message.update.campaignId : message.event.campaignId;
      const { duplicate } = await hub.groups.publish(campaignGroup(campaignId), entryOf(message), { offset: sequenceOf(message) });
      metrics.sent(message, duplicate);
    },
  };
}
