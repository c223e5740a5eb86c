/**
 * The organization notifications the page shows: kept per organization, newest first, each once
 * (by `notificationId`), and formatted by type for reading.
 * @module
 */
import type { SynaxisNotification, SynaxisNotificationType } from '../../hubs/contracts';

/** The five notification types, in the order the hub's agents send them. */
export const NOTIFICATION_TYPES: readonly SynaxisNotificationType[] = ['ProviderHealthChanged', 'CostOptimizationApplied', 'ModelDiscovered', 'SecurityAlert', 'AuditEvent'];

/** Notifications kept per organization. */
export const MAX_NOTIFICATIONS = 200;

/** A notification received, with its offset in the organization's history. */
export interface ReceivedNotification {
  readonly notification: SynaxisNotification;
  readonly offset: number | undefined;
}

/** Notifications by organization id, newest first. */
export type NotificationLog = Readonly<Record<string, readonly ReceivedNotification[]>>;

/** The log with `received` added to its organization (a repeat of a notification changes nothing). */
export function addNotification(log: NotificationLog, received: ReceivedNotification): NotificationLog {
  const { organizationId, notificationId } = received.notification;
  const known = log[organizationId] ?? [];
  if (known.some((other) => other.notification.notificationId === notificationId)) return log;
  return { ...log, [organizationId]: [received, ...known].slice(0, MAX_NOTIFICATIONS) };
}

/** How a notification reads: a label, its tone, one line, and details. */
export interface ShownNotification {
  readonly label: string;
  readonly tone: 'ok' | 'info' | 'warn' | 'bad';
  readonly summary: string;
  readonly details: readonly string[];
}

const usd = (value: number) => `$${value.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;
const present = <T,>(value: T | null, show: (value: T) => string) => (value === null ? [] : [show(value)]);

/** The notification, formatted by its type. */
export function formatNotification(notification: SynaxisNotification): ShownNotification {
  switch (notification.type) {
    case 'ProviderHealthChanged': {
      const p = notification as SynaxisNotification<'ProviderHealthChanged'>;
      return {
        label: 'Provider health',
        tone: p.status === 'healthy' ? 'ok' : p.status === 'degraded' ? 'warn' : 'bad',
        summary: `${p.provider} is ${p.status}${p.previousStatus === null ? '' : ` (was ${p.previousStatus})`}`,
        details: [...present(p.latencyMs, (ms) => `latency ${ms} ms`), ...present(p.errorRate, (rate) => `error rate ${(rate * 100).toFixed(1)} %`), ...present(p.message, (text) => text)],
      };
    }
    case 'CostOptimizationApplied': {
      const c = notification as SynaxisNotification<'CostOptimizationApplied'>;
      return {
        label: 'Cost optimization',
        tone: 'ok',
        summary: `${c.policy}: saves about ${usd(c.estimatedMonthlySavingsUsd)} a month`,
        details: [c.description, ...present(c.affectedRequestsPercent, (share) => `${share} % of requests affected`)],
      };
    }
    case 'ModelDiscovered': {
      const m = notification as SynaxisNotification<'ModelDiscovered'>;
      const prices = m.inputPricePerMillionTokensUsd === null ? [] : [`${usd(m.inputPricePerMillionTokensUsd)} in${m.outputPricePerMillionTokensUsd === null ? '' : ` / ${usd(m.outputPricePerMillionTokensUsd)} out`} per million tokens`];
      return {
        label: 'New model',
        tone: 'info',
        summary: `${m.provider} offers ${m.modelId}`,
        details: [...present(m.contextWindow, (tokens) => `context ${tokens.toLocaleString('en-US')} tokens`), ...prices, ...(m.capabilities.length === 0 ? [] : [m.capabilities.join(', ')])],
      };
    }
    case 'SecurityAlert': {
      const s = notification as SynaxisNotification<'SecurityAlert'>;
      return {
        label: `Security · ${s.severity}`,
        tone: s.severity === 'low' ? 'info' : s.severity === 'medium' ? 'warn' : 'bad',
        summary: `${s.category}: ${s.message}`,
        details: present(s.sourceIp, (ip) => `from ${ip}`),
      };
    }
    case 'AuditEvent': {
      const a = notification as SynaxisNotification<'AuditEvent'>;
      return { label: 'Audit', tone: a.outcome === 'success' ? 'info' : 'bad', summary: `${a.actor} ${a.action} ${a.resource}`, details: [a.outcome] };
    }
  }
}
