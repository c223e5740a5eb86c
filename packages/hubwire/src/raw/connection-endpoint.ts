/**
 * A raw connection endpoint: what `mapConnection` maps on a path. It shares negotiate, the
 * transports, auth, CORS and the limits with hubs through the {@link Endpoint} seam, and hands
 * each connection to the user's handler.
 * @module
 */
import { ConnectionManager } from '../connections/connection-manager.js';
import { ConnectionMeter } from '../connections/connection-meter.js';
import type { Endpoint } from '../connections/endpoint.js';
import type { HttpConnection } from '../connections/http-connection.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { MetricLabels, Metrics } from '../core/metrics.js';
import type { TransportEvents } from '../transports/transport.js';
import type { ResolvedConnectionOptions } from './connection-options.js';
import { ServerConnection, type ConnectionHandler, type RawConnectionHost } from './raw-connection.js';

/** What a raw endpoint is built from. */
export interface ConnectionEndpointInit {
  readonly path: string;
  readonly handler: ConnectionHandler;
  readonly options: ResolvedConnectionOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** A mapped raw connection handler with its connections. */
export class ConnectionEndpoint implements Endpoint, RawConnectionHost {
  readonly path: string;
  readonly options: ResolvedConnectionOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly labels: MetricLabels;
  readonly connections: ConnectionManager;
  readonly live = new Set<ServerConnection>();
  readonly #handler: ConnectionHandler;
  readonly #meter: ConnectionMeter;

  constructor(init: ConnectionEndpointInit) {
    this.path = init.path;
    this.options = init.options;
    this.clock = init.clock;
    this.logger = init.logger;
    this.metrics = init.metrics;
    // `hub` like a hub's, so adapters see one label set: the path is what tells them apart.
    this.labels = Object.freeze({ hub: init.path });
    this.#meter = new ConnectionMeter(init.metrics, init.path, init.clock);
    this.connections = new ConnectionManager({ clock: init.clock, options: init.options, logger: init.logger, metrics: init.metrics, labels: this.labels, path: init.path });
    this.#handler = init.handler;
  }

  get maximumInboundBufferSize(): number {
    return this.options.maximumInboundBufferSize;
  }

  get maximumOutboundBufferSize(): number {
    return this.options.maximumOutboundBufferSize;
  }

  open(http: HttpConnection): TransportEvents {
    http.state = 'active';
    const connection = new ServerConnection(http, this);
    this.live.add(connection);
    this.#meter.opened(http);
    // The caller attaches the transport right after this returns: the handler may send at once.
    queueMicrotask(() => void connection.run(this.#handler));
    return connection.events;
  }

  connectionEnded(connection: ServerConnection): void {
    this.live.delete(connection);
    this.connections.remove(connection.http);
    this.#meter.ended(connection.http);
  }

  /** Heartbeat: raw connections have no pings or timeouts of their own; only the sweep runs. */
  tick(): void {
    this.connections.sweep(this.options.disconnectTimeout);
  }

  /** Nothing runs on a raw connection but its handler, which ends with the connection. */
  drain(): Promise<void> {
    return Promise.resolve();
  }

  /** Ends every connection: their handlers' loops end and clients see the transport close. */
  shutdown(): void {
    for (const connection of [...this.live]) {
      connection.http.endStatus ??= 'app_shutdown';
      connection.close();
    }
    for (const http of [...this.connections.all()]) this.connections.remove(http);
  }
}
