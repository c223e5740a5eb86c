/**
 * The campaigns feature: `/hubs/campaigns`, `/api/campaigns…` and the simulated orchestration.
 * @module
 */
import type { Clock, HubServer } from 'hubwire';
import type { Logger } from 'pino';
import type { AppContext, AppModule } from '../../app-context.js';
import { CampaignsHub } from './campaigns-hub.js';
import { campaignGroup } from './model.js';
import { CampaignOrchestrator, type CampaignPublisher } from './orchestrator.js';
import { registerCampaignRoutes } from './routes.js';

export const CAMPAIGNS_HUB_PATH = '/hubs/campaigns';

/** Options for tests: a clock other than the app's, or no timers at all (drive runs with `orchestrator.step`). */
export interface CampaignsModuleOptions {
  readonly clock?: Clock;
  readonly autoRun?: boolean;
  readonly maxActiveRuns?: number;
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
      const campaigns = new CampaignOrchestrator({
        publisher: groupPublisher(app.hubwire, logger),
        stepMs: app.config.simulators.campaigns.stepMs,
        clock: options.clock ?? app.clock,
        autoRun: options.autoRun,
        maxActiveRuns: options.maxActiveRuns,
      });
      orchestrator = campaigns;
      app.hubwire.mapHub(CAMPAIGNS_HUB_PATH, CampaignsHub, { create: () => new CampaignsHub(campaigns) });
      registerCampaignRoutes(app.routes, campaigns, CAMPAIGNS_HUB_PATH, logger);
      app.onStop(() => campaigns.stop());
      logger.debug({ stepMs: app.config.simulators.campaigns.stepMs }, 'campaigns module registered');
    },
  };
}

/** The module the server registers. */
export const campaignsModule: CampaignsModule = createCampaignsModule();

/**
 * Sends each message to the campaign's group. Sends go out one after another, in the order the
 * orchestrator produced them (so in sequence order), whatever the lifetime manager.
 */
function groupPublisher(hubwire: HubServer, logger: Logger): CampaignPublisher {
  let hub: ReturnType<typeof hubwire.hubContext<CampaignsHub>> | undefined;
  let chain: Promise<void> = Promise.resolve();
  const enqueue = (campaignId: string, send: (group: NonNullable<typeof hub>['clients']) => Promise<void>) => {
    hub ??= hubwire.hubContext(CampaignsHub);
    const clients = hub.clients;
    chain = chain
      .then(() => send(clients))
      .catch((error: unknown) => logger.error({ err: error, campaignId }, 'campaign message not sent'));
  };
  return {
    orchestrationEvent: (event) => enqueue(event.campaignId, (clients) => clients.group(campaignGroup(event.campaignId)).ReceiveOrchestrationEvent(event)),
    artifactUpdate: (update) => enqueue(update.campaignId, (clients) => clients.group(campaignGroup(update.campaignId)).ReceiveArtifactUpdate(update)),
    cancellationAcknowledged: (ack) =>
      enqueue(ack.campaignId, (clients) => clients.group(campaignGroup(ack.campaignId)).ReceiveCancellationAcknowledgement(ack)),
  };
}
