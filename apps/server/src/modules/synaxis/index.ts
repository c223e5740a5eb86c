/**
 * The synaxis feature: `/hubs/synaxis` (JWT required), its notifier, the simulated agents
 * (demo mode) and the admin REST trigger.
 * @module
 */
import type { AppContext, AppModule } from '../../app-context.js';
import { organizationsOf } from '../../auth/authenticator.js';
import { SynaxisAgents } from './agents.js';
import { SynaxisNotifier } from './notifier.js';
import { registerSynaxisRoutes } from './routes.js';
import { OrganizationDirectory, SynaxisHub, type MembershipCheck } from './synaxis-hub.js';

export const SYNAXIS_HUB_PATH = '/hubs/synaxis';

/** Options for other deployments and tests. */
export interface SynaxisModuleOptions {
  /** Who belongs to which organization. Default: the `config.jwt.organizationsClaim` claim of the token. */
  readonly isMember?: MembershipCheck;
}

/** The synaxis module; `notifier` and `agents` are available once it is registered. */
export interface SynaxisModule extends AppModule {
  readonly notifier: SynaxisNotifier | undefined;
  /** The simulated agents; undefined unless demo mode and `simulators.synaxis.enabled`. */
  readonly agents: SynaxisAgents | undefined;
}

/** Builds the module (the server uses {@link synaxisModule}). */
export function createSynaxisModule(options: SynaxisModuleOptions = {}): SynaxisModule {
  let notifier: SynaxisNotifier | undefined;
  let agents: SynaxisAgents | undefined;
  return {
    name: 'synaxis',
    get notifier() {
      return notifier;
    },
    get agents() {
      return agents;
    },
    register(app: AppContext) {
      const logger = app.logger.child({ module: 'synaxis' });
      const directory = new OrganizationDirectory();
      const isMember = options.isMember ?? ((user, organizationId) => organizationsOf(user, app.config.jwt).includes(organizationId));
      app.hubwire.mapHub(SYNAXIS_HUB_PATH, SynaxisHub, { authorize: true, create: () => new SynaxisHub(isMember, directory) });
      const sender = new SynaxisNotifier(app.hubwire, app.clock);
      notifier = sender;
      registerSynaxisRoutes(app.routes, sender, directory, logger);
      const { enabled, intervalMs } = app.config.simulators.synaxis;
      if (app.config.demo && enabled) {
        const simulated = new SynaxisAgents({ notifier: sender, organizations: () => directory.organizations(), intervalMs, clock: app.clock, random: app.random, logger });
        agents = simulated;
        simulated.start();
        app.onStop(() => simulated.stop());
      }
      logger.debug({ simulated: agents !== undefined, intervalMs }, 'synaxis module registered');
    },
  };
}

/** The module the server registers. */
export const synaxisModule: SynaxisModule = createSynaxisModule();
