/**
 * Sends admin payloads to the group each kind belongs to, from the hub and from REST alike.
 * @module
 */
import type { HubContext } from 'hubwire';
import { ADMIN_GROUPS, type AdminGroup, type Alert, type AnalyticsUpdate, type GenerationMetrics, type PerformanceAlert, type PlatformStatus, type RevenueUpdate, type RoleAssignment, type SystemEvent, type TestMessage, type UserAction, type UserCountUpdate } from './payloads.js';
import type { PlatformStats } from './stats.js';

/** The client methods of /hubs/admin. */
export interface AdminClient {
  ReceivePlatformStatus(status: PlatformStatus): void;
  ReceivePlatformStats(stats: PlatformStats): void;
  ReceiveAnalytics(update: AnalyticsUpdate): void;
  ReceiveUserCount(update: UserCountUpdate): void;
  ReceiveGenerationMetrics(metrics: GenerationMetrics): void;
  ReceiveRevenueUpdate(update: RevenueUpdate): void;
  ReceiveUserAction(action: UserAction): void;
  ReceiveRoleAssignment(assignment: RoleAssignment): void;
  ReceiveSystemEvent(event: SystemEvent): void;
  ReceiveAlert(alert: Alert): void;
  ReceivePerformanceAlert(alert: PerformanceAlert): void;
  ReceiveTestMessage(message: TestMessage): void;
}

/** Each kind of payload, its client method and group. */
export const DELIVERIES = {
  platformStatus: { method: 'ReceivePlatformStatus', group: ADMIN_GROUPS.admins },
  platformStats: { method: 'ReceivePlatformStats', group: ADMIN_GROUPS.analytics },
  analytics: { method: 'ReceiveAnalytics', group: ADMIN_GROUPS.analytics },
  userCount: { method: 'ReceiveUserCount', group: ADMIN_GROUPS.analytics },
  generationMetrics: { method: 'ReceiveGenerationMetrics', group: ADMIN_GROUPS.analytics },
  revenue: { method: 'ReceiveRevenueUpdate', group: ADMIN_GROUPS.analytics },
  userAction: { method: 'ReceiveUserAction', group: ADMIN_GROUPS.userActivity },
  roleAssignment: { method: 'ReceiveRoleAssignment', group: ADMIN_GROUPS.userActivity },
  systemEvent: { method: 'ReceiveSystemEvent', group: ADMIN_GROUPS.admins },
  alert: { method: 'ReceiveAlert', group: ADMIN_GROUPS.alerts },
  performanceAlert: { method: 'ReceivePerformanceAlert', group: ADMIN_GROUPS.alerts },
  testMessage: { method: 'ReceiveTestMessage', group: ADMIN_GROUPS.admins },
} as const satisfies Record<string, { method: keyof AdminClient; group: AdminGroup }>;

export type DeliveryKind = keyof typeof DELIVERIES;

/** What a broadcast did (the REST endpoints answer it). */
export interface Delivery<P> {
  readonly method: keyof AdminClient;
  readonly group: AdminGroup;
  readonly payload: P;
}

/** Sends to the admin hub's groups. */
export class AdminBroadcaster {
  readonly #hub: () => HubContext<AdminClient>;

  /** `hub` gives the admin hub's context (looked up lazily, once the hub is mapped). */
  constructor(hub: () => HubContext<AdminClient>) {
    this.#hub = hub;
  }

  /** Sends `payload` with the method of `kind` to its group; resolves once queued. */
  async send<P>(kind: DeliveryKind, payload: P): Promise<Delivery<P>> {
    const { method, group } = DELIVERIES[kind];
    await this.#hub().clients.group(group).send(method, payload);
    return { method, group, payload };
  }
}
