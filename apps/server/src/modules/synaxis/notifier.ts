/**
 * Sends organization notifications from anywhere in the process (REST handlers, background
 * agents, other modules) through `hubwire.hubContext(SynaxisHub)`.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock, type HubContext, type HubServer } from 'hubwire';
import { organizationGroup, type SynaxisClient, type SynaxisNotification, type SynaxisNotificationType, type SynaxisPayloads } from './model.js';
import { SynaxisHub } from './synaxis-hub.js';

/**
 * @example
 * ```ts
 * const notifier = new SynaxisNotifier(hubwire); // SynaxisHub must be mapped
 * await notifier.securityAlert('acme', { severity: 'high', category: 'auth', message: '20 failed logins', sourceIp: null });
 * ```
 */
export class SynaxisNotifier {
  readonly #hubwire: HubServer;
  readonly #clock: Clock;
  #hub: HubContext<SynaxisClient> | undefined;

  constructor(hubwire: HubServer, clock: Clock = systemClock) {
    this.#hubwire = hubwire;
    this.#clock = clock;
  }

  /** Sends a notification of `type` to the organization's members and returns what was sent. */
  async notify<T extends SynaxisNotificationType>(organizationId: string, type: T, payload: SynaxisPayloads[T]): Promise<SynaxisNotification<T>> {
    this.#hub ??= this.#hubwire.hubContext(SynaxisHub);
    const notification = {
      ...payload,
      notificationId: randomUUID(),
      organizationId,
      type,
      timestamp: new Date(this.#clock.now()).toISOString(),
    } as SynaxisNotification<T>;
    await this.#hub.clients.group(organizationGroup(organizationId)).send(type, notification);
    return notification;
  }

  providerHealthChanged(organizationId: string, payload: SynaxisPayloads['ProviderHealthChanged']) {
    return this.notify(organizationId, 'ProviderHealthChanged', payload);
  }

  costOptimizationApplied(organizationId: string, payload: SynaxisPayloads['CostOptimizationApplied']) {
    return this.notify(organizationId, 'CostOptimizationApplied', payload);
  }

  modelDiscovered(organizationId: string, payload: SynaxisPayloads['ModelDiscovered']) {
    return this.notify(organizationId, 'ModelDiscovered', payload);
  }

  securityAlert(organizationId: string, payload: SynaxisPayloads['SecurityAlert']) {
    return this.notify(organizationId, 'SecurityAlert', payload);
  }

  auditEvent(organizationId: string, payload: SynaxisPayloads['AuditEvent']) {
    return this.notify(organizationId, 'AuditEvent', payload);
  }
}
