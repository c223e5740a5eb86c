/**
 * ASP.NET Core's two connection instruments for one endpoint: `signalr.server.active_connections`
 * (+1 when a transport attaches, -1 when the connection ends) and
 * `signalr.server.connection.duration` (from negotiate to the end, with how it ended). Label
 * objects are built once per transport and status, so a connect costs no allocation for them;
 * without {@link Metrics.record} nothing is measured.
 * @module
 */
import type { Clock } from '../core/clock.js';
import { TransportAttribute, type ConnectionStatus } from '../core/instruments.js';
import type { MetricLabels, Metrics } from '../core/metrics.js';
import type { TransportKind } from '../transports/transport.js';
import type { HttpConnection } from './http-connection.js';

const STATUSES: readonly ConnectionStatus[] = ['normal_closure', 'timeout', 'app_shutdown'];

/** Counts one endpoint's connections (a hub path, or a raw connection path). */
export class ConnectionMeter {
  readonly #metrics: Metrics;
  readonly #clock: Clock;
  readonly #active = new Map<TransportKind, MetricLabels>();
  readonly #ended = new Map<string, MetricLabels>();

  constructor(metrics: Metrics, hub: string, clock: Clock) {
    this.#metrics = metrics;
    this.#clock = clock;
    for (const kind of Object.keys(TransportAttribute) as TransportKind[]) {
      const transport = TransportAttribute[kind];
      this.#active.set(kind, Object.freeze({ hub, 'signalr.transport': transport }));
      for (const status of STATUSES) this.#ended.set(`${kind}/${status}`, Object.freeze({ hub, 'signalr.transport': transport, 'signalr.connection.status': status }));
    }
  }

  /** A transport attached to `http` (its first one): one more active connection. */
  opened(http: HttpConnection): void {
    const record = this.#metrics.record;
    if (record === undefined || http.transportKind === undefined) return;
    record.call(this.#metrics, 'activeConnections', 1, this.#active.get(http.transportKind));
  }

  /**
   * `http` ended (called once per connection {@link ConnectionMeter.opened} counted): one active
   * connection less, and its duration with its status ({@link HttpConnection.endStatus}, else
   * `normal_closure`).
   */
  ended(http: HttpConnection): void {
    const record = this.#metrics.record;
    const kind = http.transportKind;
    if (record === undefined || kind === undefined) return;
    record.call(this.#metrics, 'activeConnections', -1, this.#active.get(kind));
    const seconds = Math.max(0, this.#clock.now() - http.createdAt) / 1000;
    record.call(this.#metrics, 'connectionDuration', seconds, this.#ended.get(`${kind}/${http.endStatus ?? 'normal_closure'}`));
  }
}
