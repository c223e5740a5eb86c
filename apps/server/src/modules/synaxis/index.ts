/**
 * The synaxis feature: `/hubs/synaxis` (JWT required), its notifier, the simulated agents
 * (demo mode) and the admin REST trigger. In a cluster, who joined which organization is counted
 * over every node (memberships.ts), and exactly one node runs the agents — the holder of the
 * `synaxis-agents` lease — continuing from the state the previous one left in Redis.
 * @module
 */
import type { AppContext, AppModule } from '../../app-context.js';
import { organizationsOf } from '../../auth/authenticator.js';
import { FencedState } from '../../cluster/fenced-state.js';
import { followLease } from '../../cluster/lead-in-turn.js';
import { openLease, type Lease } from '../../cluster/lease.js';
import { SynaxisAgents, type AgentsSnapshot } from './agents.js';
import { clusterMembers, localMembers, type OrganizationMembers } from './memberships.js';
import { ORGANIZATION_HISTORY, organizationGroup } from './model.js';
import { SynaxisNotifier } from './notifier.js';
import { registerSynaxisRoutes } from './routes.js';
import { OrganizationDirectory, SynaxisHub, type MembershipCheck } from './synaxis-hub.js';

export const SYNAXIS_HUB_PATH = '/hubs/synaxis';
/** The lease of the simulated agents: one set per cluster. */
export const SYNAXIS_AGENTS_LEASE = 'synaxis-agents';

/** Options for other deployments and tests. */
export interface SynaxisModuleOptions {
  /** Who belongs to which organization. Default: the `config.jwt.organizationsClaim` claim of the token. */
  readonly isMember?: MembershipCheck;
}

/** The synaxis module; `notifier`, `members` and `agents` are available once it is registered. */
export interface SynaxisModule extends AppModule {
  readonly notifier: SynaxisNotifier | undefined;
  /** Organization members of the whole cluster. */
  readonly members: OrganizationMembers | undefined;
  /** The simulated agents; undefined unless demo mode and `simulators.synaxis.enabled`. */
  readonly agents: SynaxisAgents | undefined;
  /** The agents' lease; undefined when this node does not run them. */
  readonly lease: Lease | undefined;
}

/** Builds the module (the server uses {@link synaxisModule}). */
export function createSynaxisModule(options: SynaxisModuleOptions = {}): SynaxisModule {
  let notifier: SynaxisNotifier | undefined;
  let agents: SynaxisAgents | undefined;
  let shared: OrganizationMembers | undefined;
  let agentsLease: Lease | undefined;
  return {
    name: 'synaxis',
    get notifier() {
      return notifier;
    },
    get members() {
      return shared;
    },
    get agents() {
      return agents;
    },
    get lease() {
      return agentsLease;
    },
    register(app: AppContext) {
      const logger = app.logger.child({ module: 'synaxis' });
      const directory = new OrganizationDirectory();
      const members = app.cluster === undefined ? localMembers(directory) : clusterMembers(app.cluster, directory, { intervalMs: app.config.redis.heartbeatMs, logger });
      shared = members;
      members.start();
      const isMember = options.isMember ?? ((user, organizationId) => organizationsOf(user, app.config.jwt).includes(organizationId));
      app.hubwire.mapHub(SYNAXIS_HUB_PATH, SynaxisHub, {
        authorize: true,
        create: () => new SynaxisHub(isMember, directory, members),
        recovery: { groups: [{ match: organizationGroup('*'), ...ORGANIZATION_HISTORY }] },
        // JoinOrganization(id) as before, and JoinOrganization(id, fromPosition).
        optionalParameters: { joinOrganization: 1 },
      });
      const sender = new SynaxisNotifier(app.hubwire, app.clock);
      notifier = sender;
      registerSynaxisRoutes(app.routes, sender, members, logger);
      const { enabled, intervalMs } = app.config.simulators.synaxis;
      if (app.config.demo && enabled) {
        const lease = openLease(app.cluster, SYNAXIS_AGENTS_LEASE, { ttlMs: app.config.redis.leaseTtlMs, logger });
        agentsLease = lease;
        const state = app.cluster === undefined ? undefined : new FencedState<AgentsSnapshot>(app.cluster, 'synaxis:agents', logger);
        const fence = lease.fence;
        const simulated = new SynaxisAgents({
          notifier: sender,
          organizations: () => members.organizations(),
          active: () => lease.held,
          record: state === undefined || fence === undefined ? undefined : (snapshot) => state.save(fence, snapshot),
          intervalMs,
          clock: app.clock,
          random: app.random,
          logger,
        });
        agents = simulated;
        followLease(
          lease,
          simulated,
          state && {
            restore: () => state.load().then((snapshot) => snapshot !== undefined && simulated.restore(snapshot)),
            logger,
            failed: 'agents state not readable; starting from this node\'s own',
          },
        );
        app.onStop(async () => {
          simulated.stop();
          await lease.stop();
        });
      }
      app.onStop(() => members.stop());
      logger.debug({ simulated: agents !== undefined, intervalMs }, 'synaxis module registered');
    },
  };
}

/** The module the server registers. */
export const synaxisModule: SynaxisModule = createSynaxisModule();
