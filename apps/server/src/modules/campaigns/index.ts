/**
 * The campaigns feature: `/hubs/campaigns`, `/api/campaigns…` and the simulated orchestration.
 * @module
 */
import type { Clock, HubServer } from 'hubwire';
import type { AppContext, AppModule } from '../../app-context.js';
import { CampaignsHub } from './campaigns-hub.js';
import { campaignGroup } from './model.js';
import { MemoryCampaignStore } from './memory-store.js';
import { CampaignOrchestrator, type CampaignPublisher } from './orchestrator.js';
import { RedisCampaignStore } from './redis-store.js';
import { registerCampaignRoutes } from './routes.js';

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
      const store = app.cluster === undefined ? new MemoryCampaignStore() : new RedisCampaignStore({ cluster: app.cluster, claimTtlMs: options.claimTtlMs });
      const campaigns = new CampaignOrchestrator({
        publisher: groupPublisher(app.hubwire),
        store,
        stepMs: app.config.simulators.campaigns.stepMs,
        clock: options.clock ?? app.clock,
        autoRun: options.autoRun,
        maxActiveRuns: options.maxActiveRuns,
        claimUpkeepMs: options.claimUpkeepMs,
        logger,
      });
      orchestrator = campaigns;
      app.hubwire.mapHub(CAMPAIGNS_HUB_PATH, CampaignsHub, { create: () => new CampaignsHub(campaigns) });
      registerCampaignRoutes(app.routes, campaigns, CAMPAIGNS_HUB_PATH, logger);
      campaigns.start();
      // Graceful: this node's runs are handed over to the others (released), not cancelled.
      app.onStop(() => campaigns.stop());
      logger.debug({ stepMs: app.config.simulators.campaigns.stepMs, store: app.cluster === undefined ? 'memory' : 'redis' }, 'campaigns module registered');
    },
  };
}

/** The module the server registers. */
export const campaignsModule: CampaignsModule = createCampaignsModule();

/**
 * Sends each message to the campaign's group. The orchestrator awaits each send before the next
 * of the same campaign, so they go out in sequence order whatever the lifetime manager.
 */
function groupPublisher(hubwire: HubServer): CampaignPublisher {
  let hub: ReturnType<typeof hubwire.hubContext<CampaignsHub>> | undefined;
  const group = (campaignId: string) => (hub ??= hubwire.hubContext(CampaignsHub)).clients.group(campaignGroup(campaignId));
  return {
    orchestrationEvent: (event) => group(event.campaignId).ReceiveOrchestrationEvent(event),
    artifactUpdate: (update) => group(update.campaignId).ReceiveArtifactUpdate(update),
    cancellationAcknowledged: (ack) => group(ack.campaignId).ReceiveCancellationAcknowledgement(ack),
  };
}
