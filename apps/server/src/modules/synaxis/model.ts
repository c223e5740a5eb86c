/**
 * Synaxis organization notifications: the five kinds `/hubs/synaxis` sends to an organization's
 * members, their payloads, and the checks the admin REST endpoint applies to them.
 * @module
 */
import type { GroupPosition } from 'hubwire';
import { BadRequest } from '../../app-context.js';

export type ProviderStatus = 'healthy' | 'degraded' | 'down';
export type AlertSeverity = 'low' | 'medium' | 'high' | 'critical';
export type AuditOutcome = 'success' | 'failure';

/** `ProviderHealthChanged`: an AI provider's health moved. */
export interface ProviderHealthPayload {
  readonly provider: string;
  readonly status: ProviderStatus;
  readonly previousStatus: ProviderStatus | null;
  readonly latencyMs: number | null;
  /** Share of failed requests, 0 to 1. */
  readonly errorRate: number | null;
  readonly message: string | null;
}

/** `CostOptimizationApplied`: a routing or caching policy saved money. */
export interface CostOptimizationPayload {
  readonly policy: string;
  readonly description: string;
  readonly estimatedMonthlySavingsUsd: number;
  /** Share of the organization's requests affected, 0 to 100. */
  readonly affectedRequestsPercent: number | null;
}

/** `ModelDiscovered`: a provider offers a new model. */
export interface ModelDiscoveredPayload {
  readonly provider: string;
  readonly modelId: string;
  readonly contextWindow: number | null;
  readonly capabilities: readonly string[];
  readonly inputPricePerMillionTokensUsd: number | null;
  readonly outputPricePerMillionTokensUsd: number | null;
}

/** `SecurityAlert`: something needs a security look. */
export interface SecurityAlertPayload {
  readonly severity: AlertSeverity;
  readonly category: string;
  readonly message: string;
  readonly sourceIp: string | null;
}

/** `AuditEvent`: an action was recorded in the organization's audit trail. */
export interface AuditEventPayload {
  readonly actor: string;
  readonly action: string;
  readonly resource: string;
  readonly outcome: AuditOutcome;
}

/** Payload of each notification type. */
export interface SynaxisPayloads {
  ProviderHealthChanged: ProviderHealthPayload;
  CostOptimizationApplied: CostOptimizationPayload;
  ModelDiscovered: ModelDiscoveredPayload;
  SecurityAlert: SecurityAlertPayload;
  AuditEvent: AuditEventPayload;
}

export type SynaxisNotificationType = keyof SynaxisPayloads;

export const NOTIFICATION_TYPES: readonly SynaxisNotificationType[] = ['ProviderHealthChanged', 'CostOptimizationApplied', 'ModelDiscovered', 'SecurityAlert', 'AuditEvent'];

/** What a member receives: the envelope and the type's payload fields, flat. */
export type SynaxisNotification<T extends SynaxisNotificationType = SynaxisNotificationType> = {
  readonly notificationId: string;
  readonly organizationId: string;
  readonly type: T;
  readonly timestamp: string;
} & SynaxisPayloads[T];

/**
 * The client methods of `/hubs/synaxis` (names as sent on the wire). Each notification carries
 * its position in the organization's history as a last argument (the library adds it): pass the
 * last one to `JoinOrganization` after a reconnect.
 */
export interface SynaxisClient {
  ProviderHealthChanged(notification: SynaxisNotification<'ProviderHealthChanged'>, position?: GroupPosition): void;
  CostOptimizationApplied(notification: SynaxisNotification<'CostOptimizationApplied'>, position?: GroupPosition): void;
  ModelDiscovered(notification: SynaxisNotification<'ModelDiscovered'>, position?: GroupPosition): void;
  SecurityAlert(notification: SynaxisNotification<'SecurityAlert'>, position?: GroupPosition): void;
  AuditEvent(notification: SynaxisNotification<'AuditEvent'>, position?: GroupPosition): void;
}

/**
 * The answer of `JoinOrganization`: `position` is where the organization's history stands for
 * this connection (the last notification replayed, or the newest one). With a `fromPosition`,
 * `recovered` says whether every notification after it was replayed, and `replayed` how many.
 */
export interface OrganizationJoin {
  readonly organizationId: string;
  readonly joinedAt: string;
  readonly position: GroupPosition;
  readonly recovered?: boolean;
  readonly replayed?: number;
}

/** The history window of every organization's group (docs/hubs.md). */
export const ORGANIZATION_HISTORY = { maxCount: 500, maxAge: 15 * 60_000 } as const;

/** The group of an organization's members. */
export function organizationGroup(organizationId: string): string {
  return `org:${organizationId}`;
}

/** Organization ids: 1 to 64 lowercase letters, digits, `-`, `_` or `.`. */
export const ORGANIZATION_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

// ---- validation of REST input ------------------------------------------------------------------

type Input = Record<string, unknown>;

function field(input: Input, name: string): unknown {
  return input[name];
}

function text(input: Input, name: string, max: number, path: string): string;
function text(input: Input, name: string, max: number, path: string, optional: true): string | null;
function text(input: Input, name: string, max: number, path: string, optional = false): string | null {
  const value = field(input, name);
  if (value === undefined || value === null) {
    if (optional) return null;
    throw new BadRequest(`${path}.${name}`, `${name} is required: a non-empty string of at most ${max} characters.`);
  }
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > max) {
    throw new BadRequest(`${path}.${name}`, `${name} must be a non-empty string of at most ${max} characters.`);
  }
  return value;
}

function oneOf<T extends string>(input: Input, name: string, values: readonly T[], path: string): T;
function oneOf<T extends string>(input: Input, name: string, values: readonly T[], path: string, optional: true): T | null;
function oneOf<T extends string>(input: Input, name: string, values: readonly T[], path: string, optional = false): T | null {
  const value = field(input, name);
  if ((value === undefined || value === null) && optional) return null;
  if (typeof value !== 'string' || !values.includes(value as T)) throw new BadRequest(`${path}.${name}`, `${name} must be one of ${values.join(', ')}.`);
  return value as T;
}

function numberIn(input: Input, name: string, min: number, max: number, path: string): number;
function numberIn(input: Input, name: string, min: number, max: number, path: string, optional: true): number | null;
function numberIn(input: Input, name: string, min: number, max: number, path: string, optional = false): number | null {
  const value = field(input, name);
  if ((value === undefined || value === null) && optional) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new BadRequest(`${path}.${name}`, `${name} must be a number from ${min} to ${max}.`);
  }
  return value;
}

function strings(input: Input, name: string, maxItems: number, path: string): string[] {
  const value = field(input, name);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > maxItems || !value.every((item) => typeof item === 'string' && item.length > 0 && item.length <= 64)) {
    throw new BadRequest(`${path}.${name}`, `${name} must be a list of at most ${maxItems} strings of 1 to 64 characters.`);
  }
  return value as string[];
}

const PROVIDER_STATUSES: readonly ProviderStatus[] = ['healthy', 'degraded', 'down'];
const SEVERITIES: readonly AlertSeverity[] = ['low', 'medium', 'high', 'critical'];
const OUTCOMES: readonly AuditOutcome[] = ['success', 'failure'];

const validators: { [T in SynaxisNotificationType]: (input: Input, path: string) => SynaxisPayloads[T] } = {
  ProviderHealthChanged: (input, path) => ({
    provider: text(input, 'provider', 64, path),
    status: oneOf(input, 'status', PROVIDER_STATUSES, path),
    previousStatus: oneOf(input, 'previousStatus', PROVIDER_STATUSES, path, true),
    latencyMs: numberIn(input, 'latencyMs', 0, 600_000, path, true),
    errorRate: numberIn(input, 'errorRate', 0, 1, path, true),
    message: text(input, 'message', 500, path, true),
  }),
  CostOptimizationApplied: (input, path) => ({
    policy: text(input, 'policy', 64, path),
    description: text(input, 'description', 500, path),
    estimatedMonthlySavingsUsd: numberIn(input, 'estimatedMonthlySavingsUsd', 0, 1e9, path),
    affectedRequestsPercent: numberIn(input, 'affectedRequestsPercent', 0, 100, path, true),
  }),
  ModelDiscovered: (input, path) => ({
    provider: text(input, 'provider', 64, path),
    modelId: text(input, 'modelId', 128, path),
    contextWindow: numberIn(input, 'contextWindow', 1, 1e8, path, true),
    capabilities: strings(input, 'capabilities', 20, path),
    inputPricePerMillionTokensUsd: numberIn(input, 'inputPricePerMillionTokensUsd', 0, 1e6, path, true),
    outputPricePerMillionTokensUsd: numberIn(input, 'outputPricePerMillionTokensUsd', 0, 1e6, path, true),
  }),
  SecurityAlert: (input, path) => ({
    severity: oneOf(input, 'severity', SEVERITIES, path),
    category: text(input, 'category', 64, path),
    message: text(input, 'message', 500, path),
    sourceIp: text(input, 'sourceIp', 45, path, true),
  }),
  AuditEvent: (input, path) => ({
    actor: text(input, 'actor', 128, path),
    action: text(input, 'action', 128, path),
    resource: text(input, 'resource', 256, path),
    outcome: oneOf(input, 'outcome', OUTCOMES, path),
  }),
};

/**
 * Checks a `{type, payload}` request body; throws {@link BadRequest} naming the field
 * (`type`, `payload`, `payload.status`, …). Unknown payload fields are dropped.
 */
export function parseNotificationRequest(body: unknown): { [T in SynaxisNotificationType]: { type: T; payload: SynaxisPayloads[T] } }[SynaxisNotificationType] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('body', 'The body must be a JSON object {type, payload}.');
  const { type, payload } = body as Input;
  if (typeof type !== 'string' || !(NOTIFICATION_TYPES as readonly string[]).includes(type)) {
    throw new BadRequest('type', `type must be one of ${NOTIFICATION_TYPES.join(', ')}.`);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new BadRequest('payload', 'payload must be a JSON object.');
  const kind = type as SynaxisNotificationType;
  return { type: kind, payload: validators[kind](payload as Input, 'payload') } as ReturnType<typeof parseNotificationRequest>;
}
