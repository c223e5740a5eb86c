/**
 * `/hubs/admin`: real-time monitoring for admins (the hub requires the `admin` role).
 * Every connection joins `admins`; the `Subscribe…` methods add the opt-in groups.
 * @module
 */
import { Hub, type Clock } from 'hubwire';
import { hubArguments } from '../../validation.js';
import type { AdminBroadcaster, AdminClient, Delivery } from './broadcaster.js';
import { ADMIN_GROUPS, parse, type Alert, type AnalyticsUpdate, type GenerationMetrics, type PerformanceAlert, type PlatformStatus, type RevenueUpdate, type RoleAssignment, type SystemEvent, type TestMessage, type UserAction, type UserCountUpdate } from './payloads.js';
import type { PlatformStats } from './stats.js';

/** What the hub needs from the module. */
export interface AdminServices {
  readonly broadcaster: AdminBroadcaster;
  /** The figures of the whole cluster (of this process without one). */
  readonly stats: () => Promise<PlatformStats>;
  /** Live connections of the whole cluster. */
  readonly connectionCount: () => Promise<number>;
  readonly clock: Clock;
}

/** Monitoring and broadcasts for admins. Broadcast methods return what they sent. */
export class AdminHub extends Hub<AdminClient> {
  readonly #services: AdminServices;

  constructor(services: AdminServices) {
    super();
    this.#services = services;
  }

  override async onConnected(): Promise<void> {
    await this.groups.add(this.context.connectionId, ADMIN_GROUPS.admins);
  }

  async subscribeToUserActivity(): Promise<void> {
    await this.groups.add(this.context.connectionId, ADMIN_GROUPS.userActivity);
  }

  async unsubscribeFromUserActivity(): Promise<void> {
    await this.groups.remove(this.context.connectionId, ADMIN_GROUPS.userActivity);
  }

  async subscribeToAnalytics(): Promise<void> {
    await this.groups.add(this.context.connectionId, ADMIN_GROUPS.analytics);
  }

  async unsubscribeFromAnalytics(): Promise<void> {
    await this.groups.remove(this.context.connectionId, ADMIN_GROUPS.analytics);
  }

  async subscribeToAlerts(): Promise<void> {
    await this.groups.add(this.context.connectionId, ADMIN_GROUPS.alerts);
  }

  async unsubscribeFromAlerts(): Promise<void> {
    await this.groups.remove(this.context.connectionId, ADMIN_GROUPS.alerts);
  }

  /** Connections per hub, messages in/out, invocations, uptime, memory: summed over the cluster, with `nodes`. */
  getPlatformStats(): Promise<PlatformStats> {
    return this.#services.stats();
  }

  /** Live connections of the whole cluster (every node, every hub). */
  getConnectionCount(): Promise<number> {
    return this.#services.connectionCount();
  }

  async broadcastPlatformStatus(status: unknown): Promise<PlatformStatus> {
    return this.#send('platformStatus', hubArguments(() => parse.platformStatus(status, this.#now(), 'status')));
  }

  async broadcastAnalytics(update: unknown): Promise<AnalyticsUpdate> {
    return this.#send('analytics', hubArguments(() => parse.analytics(update, this.#now(), 'update')));
  }

  async broadcastUserCount(update: unknown): Promise<UserCountUpdate> {
    return this.#send('userCount', hubArguments(() => parse.userCount(update, this.#now(), 'update')));
  }

  async broadcastGenerationMetrics(metrics: unknown): Promise<GenerationMetrics> {
    return this.#send('generationMetrics', hubArguments(() => parse.generationMetrics(metrics, this.#now(), 'metrics')));
  }

  async broadcastRevenue(update: unknown): Promise<RevenueUpdate> {
    return this.#send('revenue', hubArguments(() => parse.revenue(update, this.#now(), 'update')));
  }

  async broadcastUserAction(action: unknown): Promise<UserAction> {
    return this.#send('userAction', hubArguments(() => parse.userAction(action, this.#now(), 'action')));
  }

  async broadcastRoleAssignment(assignment: unknown): Promise<RoleAssignment> {
    return this.#send('roleAssignment', hubArguments(() => parse.roleAssignment(assignment, this.#now(), this.context.userIdentifier, 'assignment')));
  }

  async broadcastSystemEvent(event: unknown): Promise<SystemEvent> {
    return this.#send('systemEvent', hubArguments(() => parse.systemEvent(event, this.#now(), 'event')));
  }

  /** `alert.severity`: info (default), warning, error or success. */
  async broadcastAlert(alert: unknown): Promise<Alert> {
    return this.#send('alert', hubArguments(() => parse.alert(alert, this.#now(), undefined, 'alert')));
  }

  async broadcastPerformanceAlert(alert: unknown): Promise<PerformanceAlert> {
    return this.#send('performanceAlert', hubArguments(() => parse.performanceAlert(alert, this.#now(), 'alert')));
  }

  async broadcastTestMessage(message: unknown): Promise<TestMessage> {
    return this.#send('testMessage', hubArguments(() => parse.testMessage(message, this.#now(), this.context.userIdentifier)));
  }

  async #send<P>(kind: Parameters<AdminBroadcaster['send']>[0], payload: P): Promise<P> {
    const delivery: Delivery<P> = await this.#services.broadcaster.send(kind, payload);
    return delivery.payload;
  }

  #now(): string {
    return new Date(this.#services.clock.now()).toISOString();
  }
}
