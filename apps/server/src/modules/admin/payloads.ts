/**
 * What admins broadcast: one parser per kind (REST body or hub argument → payload, or a
 * {@link BadRequest} naming the field), the client method that receives it and its group.
 * @module
 */
import { randomUUID } from 'node:crypto';
import {
  objectBody,
  optionalNumber,
  optionalObject,
  optionalOneOf,
  optionalString,
  requiredNumber,
  requiredNumberMap,
  requiredOneOf,
  requiredString,
  type Fields,
} from '../../validation.js';
import { BadRequest } from '../../app-context.js';

/** The groups of /hubs/admin. Every connection is in `admins`; the others are opt-in. */
export const ADMIN_GROUPS = {
  admins: 'admins',
  userActivity: 'user-activity',
  analytics: 'analytics',
  alerts: 'alerts',
} as const;
export type AdminGroup = (typeof ADMIN_GROUPS)[keyof typeof ADMIN_GROUPS];

export const PLATFORM_STATUSES = ['operational', 'degraded', 'maintenance', 'outage'] as const;
export const ALERT_SEVERITIES = ['info', 'warning', 'error', 'success'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
export const SYSTEM_EVENT_SEVERITIES = ['info', 'warning', 'error'] as const;
export const REVENUE_PERIODS = ['hour', 'day', 'week', 'month', 'year'] as const;

export interface PlatformStatus {
  readonly status: (typeof PLATFORM_STATUSES)[number];
  readonly message: string | null;
  readonly components: Fields | null;
  readonly timestamp: string;
}
export interface AnalyticsUpdate {
  readonly metrics: Readonly<Record<string, number>>;
  readonly period: string | null;
  readonly timestamp: string;
}
export interface UserCountUpdate {
  readonly total: number;
  readonly active: number;
  readonly newToday: number | null;
  readonly timestamp: string;
}
export interface GenerationMetrics {
  readonly totalGenerations: number;
  readonly successRate: number;
  readonly averageDurationMs: number;
  readonly activeJobs: number | null;
  readonly model: string | null;
  readonly timestamp: string;
}
export interface RevenueUpdate {
  readonly amount: number;
  readonly currency: string;
  readonly period: (typeof REVENUE_PERIODS)[number];
  readonly changePercent: number | null;
  readonly timestamp: string;
}
export interface UserAction {
  readonly userId: string;
  readonly userName: string | null;
  readonly action: string;
  readonly details: Fields | null;
  readonly timestamp: string;
}
export interface RoleAssignment {
  readonly userId: string;
  readonly role: string;
  readonly action: 'granted' | 'revoked';
  readonly assignedBy: string | null;
  readonly timestamp: string;
}
export interface SystemEvent {
  readonly eventType: string;
  readonly message: string;
  readonly severity: (typeof SYSTEM_EVENT_SEVERITIES)[number];
  readonly source: string | null;
  readonly timestamp: string;
}
export interface Alert {
  readonly alertId: string;
  readonly severity: AlertSeverity;
  readonly title: string;
  readonly message: string;
  readonly source: string | null;
  readonly timestamp: string;
}
export interface PerformanceAlert {
  readonly alertId: string;
  readonly metric: string;
  readonly value: number;
  readonly threshold: number;
  readonly unit: string | null;
  readonly severity: 'warning' | 'error';
  readonly message: string;
  readonly timestamp: string;
}
export interface TestMessage {
  readonly message: string;
  readonly from: string | null;
  readonly timestamp: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._:@/-]*$/;
const NAME_TEXT = 'letters, digits, spaces and . _ : @ / -';

/** Parsers take the body (or hub argument), the time, and the caller's name where it matters. */
export const parse = {
  platformStatus(body: unknown, timestamp: string, name?: string): PlatformStatus {
    const fields = objectBody(body, name);
    return {
      status: requiredOneOf(fields, 'status', PLATFORM_STATUSES),
      message: optionalString(fields, 'message', { max: 500 }) ?? null,
      components: optionalObject(fields, 'components') ?? null,
      timestamp,
    };
  },
  analytics(body: unknown, timestamp: string, name?: string): AnalyticsUpdate {
    const fields = objectBody(body, name);
    return { metrics: requiredNumberMap(fields, 'metrics'), period: optionalString(fields, 'period', { max: 50 }) ?? null, timestamp };
  },
  userCount(body: unknown, timestamp: string, name?: string): UserCountUpdate {
    const fields = objectBody(body, name);
    const total = requiredNumber(fields, 'total', { integer: true, min: 0 });
    const active = requiredNumber(fields, 'active', { integer: true, min: 0 });
    if (active > total) throw new BadRequest('active', `'active' must not exceed 'total' (${total}).`);
    return { total, active, newToday: optionalNumber(fields, 'newToday', { integer: true, min: 0 }) ?? null, timestamp };
  },
  generationMetrics(body: unknown, timestamp: string, name?: string): GenerationMetrics {
    const fields = objectBody(body, name);
    return {
      totalGenerations: requiredNumber(fields, 'totalGenerations', { integer: true, min: 0 }),
      successRate: requiredNumber(fields, 'successRate', { min: 0, max: 1 }),
      averageDurationMs: requiredNumber(fields, 'averageDurationMs', { min: 0 }),
      activeJobs: optionalNumber(fields, 'activeJobs', { integer: true, min: 0 }) ?? null,
      model: optionalString(fields, 'model', { max: 100 }) ?? null,
      timestamp,
    };
  },
  revenue(body: unknown, timestamp: string, name?: string): RevenueUpdate {
    const fields = objectBody(body, name);
    return {
      amount: requiredNumber(fields, 'amount', { min: 0 }),
      currency: optionalString(fields, 'currency', { pattern: /^[A-Z]{3}$/, patternText: 'a three-letter ISO 4217 code such as USD' }) ?? 'USD',
      period: optionalOneOf(fields, 'period', REVENUE_PERIODS) ?? 'day',
      changePercent: optionalNumber(fields, 'changePercent') ?? null,
      timestamp,
    };
  },
  userAction(body: unknown, timestamp: string, name?: string): UserAction {
    const fields = objectBody(body, name);
    return {
      userId: requiredString(fields, 'userId', { max: 100 }),
      userName: optionalString(fields, 'userName', { max: 100 }) ?? null,
      action: requiredString(fields, 'action', { max: 100 }),
      details: optionalObject(fields, 'details') ?? null,
      timestamp,
    };
  },
  roleAssignment(body: unknown, timestamp: string, caller: string | undefined, name?: string): RoleAssignment {
    const fields = objectBody(body, name);
    return {
      userId: requiredString(fields, 'userId', { max: 100 }),
      role: requiredString(fields, 'role', { max: 50, pattern: NAME, patternText: NAME_TEXT }),
      action: optionalOneOf(fields, 'action', ['granted', 'revoked'] as const) ?? 'granted',
      assignedBy: optionalString(fields, 'assignedBy', { max: 100 }) ?? caller ?? null,
      timestamp,
    };
  },
  systemEvent(body: unknown, timestamp: string, name?: string): SystemEvent {
    const fields = objectBody(body, name);
    return {
      eventType: requiredString(fields, 'eventType', { max: 100, pattern: NAME, patternText: NAME_TEXT }),
      message: requiredString(fields, 'message', { max: 2000 }),
      severity: optionalOneOf(fields, 'severity', SYSTEM_EVENT_SEVERITIES) ?? 'info',
      source: optionalString(fields, 'source', { max: 100 }) ?? null,
      timestamp,
    };
  },
  /** `severity` fixed by the caller (alert/warning, alert/error) or read from the body (default info). */
  alert(body: unknown, timestamp: string, severity?: AlertSeverity, name?: string): Alert {
    const fields = objectBody(body, name);
    return {
      alertId: randomUUID(),
      severity: severity ?? optionalOneOf(fields, 'severity', ALERT_SEVERITIES) ?? 'info',
      title: requiredString(fields, 'title', { max: 200 }),
      message: requiredString(fields, 'message', { max: 2000 }),
      source: optionalString(fields, 'source', { max: 100 }) ?? null,
      timestamp,
    };
  },
  performanceAlert(body: unknown, timestamp: string, name?: string): PerformanceAlert {
    const fields = objectBody(body, name);
    const metric = requiredString(fields, 'metric', { max: 100, pattern: NAME, patternText: NAME_TEXT });
    const value = requiredNumber(fields, 'value');
    const threshold = requiredNumber(fields, 'threshold');
    const unit = optionalString(fields, 'unit', { max: 20 }) ?? null;
    const severity = optionalOneOf(fields, 'severity', ['warning', 'error'] as const) ?? (Math.abs(value) >= Math.abs(threshold) * 1.5 ? 'error' : 'warning');
    const suffix = unit === null ? '' : ` ${unit}`;
    return {
      alertId: randomUUID(),
      metric,
      value,
      threshold,
      unit,
      severity,
      message: optionalString(fields, 'message', { max: 2000 }) ?? `${metric} is ${value}${suffix} (threshold ${threshold}${suffix}).`,
      timestamp,
    };
  },
  testMessage(text: unknown, timestamp: string, from: string | undefined): TestMessage {
    return { message: requiredString({ message: text }, 'message', { max: 2000 }), from: from ?? null, timestamp };
  },
};
