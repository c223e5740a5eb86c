/**
 * The events feature: `/hubs/events` and its background broadcaster. In a cluster exactly one
 * node runs the broadcaster — the holder of the `events-simulator` lease — and its events reach
 * the clients of every node once through the backplane; the latest events and the generator's
 * state live in Redis, so `GetRecentEvents` answers the same on every node and a node that takes
 * over continues the stream (order ids, stock, who is logged in).
 * @module
 */
import type { AppContext, AppModule } from '../../app-context.js';
import { followLease } from '../../cluster/lead-in-turn.js';
import { openLease, type Lease } from '../../cluster/lease.js';
import { EventGenerator, type MockEvent } from './generator.js';
import { EventsHub } from './events-hub.js';
import { SharedEvents } from './shared-events.js';
import { EventsSimulator } from './simulator.js';

export const EVENTS_HUB_PATH = '/hubs/events';
/** The lease of the broadcaster: one per cluster. */
export const EVENTS_LEASE = 'events-simulator';
/** Events `GetRecentEvents` returns at most. */
export const RECENT_EVENTS = 20;

/** Options for tests. */
export interface EventsModuleOptions {
  /** Start the broadcaster's schedule (default: `config.simulators.events.enabled`). */
  readonly autoStart?: boolean;
}

/** The events module; `simulator` (and `lease`, when the schedule runs) are available once it is registered. */
export interface EventsModule extends AppModule {
  readonly simulator: EventsSimulator | undefined;
  /** The broadcaster's lease; undefined when this node does not run the schedule. */
  readonly lease: Lease | undefined;
}

/** Builds the module (the server uses {@link eventsModule}; tests pass options). */
export function createEventsModule(options: EventsModuleOptions = {}): EventsModule {
  let simulator: EventsSimulator | undefined;
  let leaderLease: Lease | undefined;
  return {
    name: 'events',
    get simulator() {
      return simulator;
    },
    get lease() {
      return leaderLease;
    },
    register(app: AppContext) {
      const settings = app.config.simulators.events;
      const logger = app.logger.child({ module: 'events' });
      const generator = new EventGenerator(app.random, () => app.clock.now());
      const shared = app.cluster === undefined ? undefined : new SharedEvents(app.cluster, RECENT_EVENTS, logger);
      const schedule = options.autoStart ?? settings.enabled;
      const lease = schedule ? openLease(app.cluster, EVENTS_LEASE, { ttlMs: app.config.redis.leaseTtlMs, logger }) : undefined;
      leaderLease = lease;
      const fence = lease?.fence;
      let hub: ReturnType<typeof app.hubwire.hubContext<EventsHub>> | undefined;
      const events = new EventsSimulator({
        generator,
        publish: (event) => (hub ??= app.hubwire.hubContext(EventsHub)).clients.all.ReceiveEvent(event),
        record: shared === undefined || fence === undefined ? undefined : (event) => shared.record(fence, event, generator.snapshot()),
        active: lease === undefined ? undefined : () => lease.held,
        clock: app.clock,
        random: app.random,
        minDelayMs: settings.minDelayMs,
        maxDelayMs: settings.maxDelayMs,
        keep: RECENT_EVENTS,
        logger,
      });
      simulator = events;
      const recent = async (): Promise<readonly MockEvent[]> => {
        if (shared === undefined) return events.recent;
        try {
          return await shared.recent();
        } catch (error) {
          logger.warn({ err: { message: (error as Error).message } }, 'recent events not readable from Redis; answering with this node\'s own');
          return events.recent;
        }
      };
      app.hubwire.mapHub(EVENTS_HUB_PATH, EventsHub, { create: () => new EventsHub(recent, app.clock) });

      // A takeover continues from the state the last leader recorded; a step-down stops at once.
      if (lease !== undefined) {
        followLease(
          lease,
          events,
          shared && {
            restore: () => shared.generatorState().then((state) => state !== undefined && generator.restore(state)),
            logger,
            failed: 'generator state not readable; the stream restarts from this node\'s own',
          },
        );
      }
      app.onStop(async () => {
        events.stop();
        await lease?.stop();
      });
      logger.debug({ schedule, minDelayMs: settings.minDelayMs, maxDelayMs: settings.maxDelayMs }, 'events module registered');
    },
  };
}

/** The module the server registers. */
export const eventsModule: EventsModule = createEventsModule();
