/**
 * One mapped hub: its options, dispatcher, lifetime manager and connections, composed once.
 * @module
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { MetricLabels, Metrics } from '../core/metrics.js';
import { ConnectionManager } from '../connections/connection-manager.js';
import { ConnectionMeter } from '../connections/connection-meter.js';
import type { RateLimiter } from '../limits/rate-limits.js';
import type { Endpoint } from '../connections/endpoint.js';
import type { HttpConnection } from '../connections/http-connection.js';
import type { TransportEvents } from '../transports/transport.js';
import type { HubLifetimeManager, LocalGroupChange } from '../lifetime/hub-lifetime-manager.js';
import { MessageType } from '../protocol/messages.js';
import { createGroupManager, type GroupManager } from './group-manager.js';
import { createHubClients } from './hub-clients.js';
import { HubConnection, type HubConnectionHost } from './hub-connection.js';
import type { HubContext } from './hub-context.js';
import { HubDispatcher } from './hub-dispatcher.js';
import type { FallbackMethod } from './fallback-method.js';
import type { GroupMembershipChange, HubFilter } from './hub-filter.js';
import { HubMeter } from './hub-meter.js';
import type { ResolvedHubOptions } from './hub-options.js';
import { Hub, type HubClass } from './hub.js';
import { buildMethodTable, type HubMethod } from './method-table.js';
import { HubwireError } from '../core/errors.js';
import type { AuthorizationRequirement } from '../auth/authorization.js';

/** What an endpoint is built from. */
export interface HubEndpointInit {
  readonly path: string;
  readonly hubClass: HubClass;
  readonly createHub: () => Hub<unknown>;
  readonly options: ResolvedHubOptions;
  /** Requirements of single methods, by method name (any case). */
  readonly authorizeMethods?: Readonly<Record<string, AuthorizationRequirement>>;
  /** Plain methods that return a stream, by name (any case); `async *` methods need no entry. */
  readonly streamingMethods?: readonly string[];
  /** Trailing parameters each method may be invoked without (mapHub's `optionalParameters`). */
  readonly optionalParameters?: Readonly<Record<string, number | undefined>>;
  /** Runs invocations of methods the class does not declare (mapHub's `fallbackMethod`). */
  readonly fallbackMethod?: FallbackMethod | undefined;
  readonly lifetime: HubLifetimeManager;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** A mapped hub with everything its connections share. */
export class HubEndpoint implements HubConnectionHost, Endpoint {
  readonly path: string;
  readonly hubClass: HubClass;
  readonly options: ResolvedHubOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly labels: MetricLabels;
  readonly meter: HubMeter;
  readonly lifetime: HubLifetimeManager;
  readonly dispatcher: HubDispatcher;
  readonly groups: GroupManager;
  readonly connections: ConnectionManager;
  readonly context: HubContext<any>;
  /** Connections with an attached transport, ticked by the heartbeat. */
  readonly live = new Set<HubConnection>();
  readonly #connectionMeter: ConnectionMeter;
  /** Unregisters the outbound-buffer gauges (at shutdown). */
  readonly #unobserve: (() => void)[] = [];
  /**
   * Every connection this endpoint opened, for as long as it lives: `live` forgets one before its
   * `onDisconnected` runs, and a hook may still leave groups there.
   */
  readonly #opened = new WeakSet<HubConnection>();
  /** The filters that want group changes, in filter order. */
  readonly #groupWatchers: readonly HubFilter[];

  constructor(init: HubEndpointInit) {
    this.path = init.path;
    this.hubClass = init.hubClass;
    this.options = init.options;
    this.clock = init.clock;
    this.logger = init.logger;
    this.metrics = init.metrics;
    this.labels = Object.freeze({ hub: init.path });
    this.meter = new HubMeter(init.metrics, this.labels);
    this.#connectionMeter = new ConnectionMeter(init.metrics, init.path, init.clock);
    this.#observeBacklogs(init.metrics);
    this.lifetime = init.lifetime;
    this.#groupWatchers = init.options.filters.filter((filter) => filter.onGroupChange !== undefined);
    this.groups = createGroupManager(init.lifetime);
    this.connections = new ConnectionManager({ clock: init.clock, options: init.options, logger: init.logger, metrics: init.metrics, labels: this.labels, path: init.path });
    const methods = buildMethodTable(init.hubClass, init.streamingMethods, init.optionalParameters);
    this.dispatcher = new HubDispatcher({
      hubPath: init.path,
      hubName: init.hubClass.name,
      filters: init.options.filters,
      methodAuthorization: methodRequirements(init.hubClass, methods, init.authorizeMethods),
      hooks: {
        onConnected: init.hubClass.prototype.onConnected !== Hub.prototype.onConnected,
        onDisconnected: init.hubClass.prototype.onDisconnected !== Hub.prototype.onDisconnected,
      },
      methods,
      fallback: init.fallbackMethod,
      createHub: init.createHub,
      groups: this.groups,
      presence: init.lifetime.presence,
      detailedErrors: init.options.enableDetailedErrors,
      logger: init.logger,
      metrics: init.metrics,
      labels: this.labels,
    });
    this.context = {
      clients: createHubClients(init.lifetime, { timeout: init.options.clientResultTimeout, allowed: true }),
      groups: this.groups,
      presence: init.lifetime.presence,
    };
  }

  /** The rate limits of this hub; the HTTP edge and each connection check their parts. */
  get rateLimiter(): RateLimiter {
    return this.connections.limits.rateLimiter;
  }

  /** Starts the hub side of a connection whose transport was just attached. */
  open(http: HttpConnection): TransportEvents {
    http.state = 'active';
    const connection = new HubConnection(http, this);
    this.live.add(connection);
    this.#opened.add(connection);
    this.#connectionMeter.opened(http);
    return connection.transportEvents();
  }

  connectionEnded(connection: HubConnection): void {
    this.live.delete(connection);
    this.connections.remove(connection.http);
    this.#connectionMeter.ended(connection.http);
  }

  /** Whether `connection` is one of this endpoint's (a hub class's paths share one lifetime manager). */
  holds(connection: LocalGroupChange['connection']): boolean {
    return this.#opened.has(connection as HubConnection);
  }

  /** Tells the filters' `onGroupChange` of a change of one of this endpoint's connections; never throws. */
  groupChanged({ connection, group, change }: LocalGroupChange): void {
    if (this.#groupWatchers.length === 0) return;
    const user = connection.userIdentifier;
    const event: GroupMembershipChange = {
      hubPath: this.path,
      hubName: this.hubClass.name,
      connectionId: connection.connectionId,
      ...(user === undefined ? {} : { userIdentifier: user }),
      group,
      change,
    };
    for (const filter of this.#groupWatchers) {
      const failed = (error: unknown) =>
        this.logger.error({ hub: this.path, connectionId: event.connectionId, group, change, err: error }, 'onGroupChange threw');
      try {
        const result: unknown = filter.onGroupChange!(event);
        // Typed void, but an async hook is easy to write: its rejection must not go unhandled.
        if (result instanceof Promise) result.catch(failed);
      } catch (error) {
        failed(error);
      }
    }
  }

  /** Heartbeat: keep-alive and timeouts of live connections, and the sweep of unused tokens. */
  tick(): void {
    const now = this.clock.now();
    for (const connection of this.live) connection.tick(now);
    this.connections.sweep(this.options.disconnectTimeout);
  }

  /** Refuses new invocations on every connection; resolves when the running ones have finished. */
  async drain(): Promise<void> {
    await Promise.all([...this.live].map((connection) => connection.drain()));
  }

  /** Closes every connection with `allowReconnect` so clients reconnect to another server. */
  shutdown(): void {
    for (const connection of [...this.live]) {
      connection.http.endStatus ??= 'app_shutdown';
      connection.close({ type: MessageType.Close, allowReconnect: true });
    }
    for (const http of [...this.connections.all()]) this.connections.remove(http);
    for (const unobserve of this.#unobserve.splice(0)) unobserve();
  }

  /**
   * The outbound backlog gauges, read at collection time (not sampled on the heartbeat): one pass
   * over the live connections per scrape, nothing on the delivery path.
   */
  #observeBacklogs(metrics: Metrics): void {
    if (metrics.observe === undefined) return;
    // A pass per gauge per scrape (a few µs per thousand connections) beats caching between the two.
    const scan = (): { total: number; max: number } => {
      let total = 0;
      let max = 0;
      for (const connection of this.live) {
        const backlog = connection.outboundBacklog();
        total += backlog;
        if (backlog > max) max = backlog;
      }
      return { total, max };
    };
    this.#unobserve.push(
      metrics.observe.call(metrics, 'outboundBufferBytes', (report) => report(scan().total, this.labels)),
      metrics.observe.call(metrics, 'outboundBufferMaxBytes', (report) => report(scan().max, this.labels)),
    );
  }
}

/** Checks that every method named in `authorizeMethods` exists, and keys them like the table. */
function methodRequirements(
  hubClass: HubClass,
  methods: ReadonlyMap<string, HubMethod>,
  authorizeMethods: Readonly<Record<string, AuthorizationRequirement>> | undefined,
): ReadonlyMap<string, AuthorizationRequirement> {
  const requirements = new Map<string, AuthorizationRequirement>();
  for (const [name, requirement] of Object.entries(authorizeMethods ?? {})) {
    const key = name.toLowerCase();
    if (!methods.has(key)) throw new HubwireError('HUB_ERR_INVALID_OPTION', `authorizeMethods names '${name}', which is not a method of hub '${hubClass.name}'.`);
    requirements.set(key, requirement);
  }
  return requirements;
}
