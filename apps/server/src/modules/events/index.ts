/**
 * The events feature: `/hubs/events` and its background broadcaster.
 * @module
 */
import type { AppContext, AppModule } from '../../app-context.js';
import { EventGenerator } from './generator.js';
import { EventsHub } from './events-hub.js';
import { EventsSimulator } from './simulator.js';

export const EVENTS_HUB_PATH = '/hubs/events';

/** Options for tests. */
export interface EventsModuleOptions {
  /** Start the broadcaster's schedule (default: `config.simulators.events.enabled`). */
  readonly autoStart?: boolean;
}

/** The events module; `simulator` is available once it is registered. */
export interface EventsModule extends AppModule {
  readonly simulator: EventsSimulator | undefined;
}

/** Builds the module (the server uses {@link eventsModule}; tests pass options). */
export function createEventsModule(options: EventsModuleOptions = {}): EventsModule {
  let simulator: EventsSimulator | undefined;
  return {
    name: 'events',
    get simulator() {
      return simulator;
    },
    register(app: AppContext) {
      const settings = app.config.simulators.events;
      const logger = app.logger.child({ module: 'events' });
      const generator = new EventGenerator(app.random, () => app.clock.now());
      let hub: ReturnType<typeof app.hubwire.hubContext<EventsHub>> | undefined;
      const events = new EventsSimulator({
        generator,
        publish: (event) => (hub ??= app.hubwire.hubContext(EventsHub)).clients.all.ReceiveEvent(event),
        clock: app.clock,
        random: app.random,
        minDelayMs: settings.minDelayMs,
        maxDelayMs: settings.maxDelayMs,
        logger,
      });
      simulator = events;
      app.hubwire.mapHub(EVENTS_HUB_PATH, EventsHub, { create: () => new EventsHub(events, app.clock) });
      if (options.autoStart ?? settings.enabled) events.start();
      app.onStop(() => events.stop());
      logger.debug({ running: events.running, minDelayMs: settings.minDelayMs, maxDelayMs: settings.maxDelayMs }, 'events module registered');
    },
  };
}

/** The module the server registers. */
export const eventsModule: EventsModule = createEventsModule();
