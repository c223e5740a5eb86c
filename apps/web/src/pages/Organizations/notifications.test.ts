import { describe, expect, it } from 'vitest';
import type { SynaxisNotification } from '../../hubs/contracts';
import { addNotification, formatNotification, MAX_NOTIFICATIONS, type NotificationLog } from './notifications';

const envelope = (id: string, organizationId = 'acme') => ({ notificationId: id, organizationId, timestamp: '2025-01-01T12:00:00.000Z' });
const alert = (id: string, organizationId = 'acme'): SynaxisNotification => ({ ...envelope(id, organizationId), type: 'SecurityAlert', severity: 'high', category: 'authentication', message: '20 failed sign-ins', sourceIp: '203.0.113.9' });

describe('organization notifications', () => {
  it('keeps them per organization, newest first, each once', () => {
    let log: NotificationLog = {};
    log = addNotification(log, { notification: alert('n1'), offset: 1 });
    log = addNotification(log, { notification: alert('n2'), offset: 2 });
    log = addNotification(log, { notification: alert('n1'), offset: 1 });
    log = addNotification(log, { notification: alert('n3', 'globex'), offset: 1 });
    expect(log['acme']!.map((received) => received.notification.notificationId)).toEqual(['n2', 'n1']);
    expect(log['globex']).toHaveLength(1);
  });

  it('keeps the latest ones', () => {
    let log: NotificationLog = {};
    for (let index = 0; index < MAX_NOTIFICATIONS + 3; index++) log = addNotification(log, { notification: alert(`n${index}`), offset: index + 1 });
    expect(log['acme']).toHaveLength(MAX_NOTIFICATIONS);
    expect(log['acme']![0]!.notification.notificationId).toBe(`n${MAX_NOTIFICATIONS + 2}`);
  });

  it('formats each type', () => {
    expect(formatNotification(alert('n1'))).toEqual({ label: 'Security · high', tone: 'bad', summary: 'authentication: 20 failed sign-ins', details: ['from 203.0.113.9'] });
    const health = formatNotification({ ...envelope('h'), type: 'ProviderHealthChanged', provider: 'openai', status: 'degraded', previousStatus: 'healthy', latencyMs: 2300, errorRate: 0.12, message: null });
    expect(health).toMatchObject({ tone: 'warn', summary: 'openai is degraded (was healthy)', details: ['latency 2300 ms', 'error rate 12.0 %'] });
    const cost = formatNotification({ ...envelope('c'), type: 'CostOptimizationApplied', policy: 'cache', description: 'Cached prompts', estimatedMonthlySavingsUsd: 1234.5, affectedRequestsPercent: null });
    expect(cost).toMatchObject({ tone: 'ok', summary: 'cache: saves about $1,234.5 a month', details: ['Cached prompts'] });
    const model = formatNotification({ ...envelope('m'), type: 'ModelDiscovered', provider: 'anthropic', modelId: 'm-1', contextWindow: 200000, capabilities: ['vision'], inputPricePerMillionTokensUsd: 3, outputPricePerMillionTokensUsd: 15 });
    expect(model.details).toEqual(['context 200,000 tokens', '$3 in / $15 out per million tokens', 'vision']);
    const audit = formatNotification({ ...envelope('a'), type: 'AuditEvent', actor: 'jane', action: 'rotated', resource: 'api-key', outcome: 'failure' });
    expect(audit).toMatchObject({ tone: 'bad', summary: 'jane rotated api-key' });
  });
});
