import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { createCounterMetrics } from '../core/metrics.js';
import type { RateLimitOptions } from '../limits/rate-limits.js';
import { ConnectionManager } from './connection-manager.js';
import { EDGE_LIMIT_TEXTS, type EdgeRefusal } from './edge-limits.js';
import { HttpConnection, type ConnectionRequestInfo } from './http-connection.js';
import type { Transport } from '../transports/transport.js';

/** A clock the test moves by hand (the manager only reads now()). */
function manualClock(): Clock & { now(): number; set(ms: number): void } {
  let now = 0;
  return {
    now: () => now,
    set: (ms) => (now = ms),
    setTimeout: () => ({ cancel: () => undefined }),
    setInterval: () => ({ cancel: () => undefined }),
  };
}

function recordingLogger(): Logger & { lines: { level: string; fields: Record<string, unknown>; message: string }[] } {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function manager(options: { pending?: number; pendingPerAddress?: number; rateLimits?: RateLimitOptions; trustedProxies?: string[]; disconnectTimeout?: number } = {}) {
  const clock = manualClock();
  const metrics = createCounterMetrics();
  const logger = recordingLogger();
  const connections = new ConnectionManager({
    clock,
    options: {
      maximumPendingConnections: options.pending ?? 100,
      maximumPendingConnectionsPerAddress: options.pendingPerAddress ?? 100,
      rateLimits: options.rateLimits ?? {},
      trustedProxies: options.trustedProxies ?? [],
      disconnectTimeout: options.disconnectTimeout ?? 15_000,
    },
    logger,
    metrics,
    labels: { hub: '/hub' },
    path: '/hub',
  });
  return { clock, metrics, logger, connections };
}

function request(remoteAddress: string, headers: Record<string, string> = {}): ConnectionRequestInfo {
  return { headers, query: new URLSearchParams(), cookies: {}, remoteAddress };
}

function created(result: HttpConnection | EdgeRefusal): HttpConnection {
  assert.ok(result instanceof HttpConnection, `expected a connection, got ${JSON.stringify(result)}`);
  return result;
}

const user = (id: string) => ({ userIdentifier: id, claims: {} });

/** A long-polling transport stand-in: idle since `idleSince`, maybe draining. */
function idleTransport(idleSince: number, draining = false): Transport & { aborted: number } {
  return {
    kind: 'LongPolling',
    inherentKeepAlive: true,
    bufferedAmount: 0,
    idleSince,
    draining,
    aborted: 0,
    send: () => undefined,
    close: () => undefined,
    abort() {
      this.aborted++;
    },
  };
}

describe('pending connections', () => {
  it('are capped in total and per address, with 429 texts and Retry-After of disconnectTimeout', () => {
    const { connections, metrics } = manager({ pending: 3, pendingPerAddress: 2, disconnectTimeout: 2500 });
    created(connections.create(1, undefined, '10.0.0.1'));
    created(connections.create(1, undefined, '10.0.0.1'));
    assert.deepEqual(connections.create(1, undefined, '10.0.0.1'), {
      limit: 'maximumPendingConnectionsPerAddress',
      retryAfterSeconds: 3,
      text: EDGE_LIMIT_TEXTS.maximumPendingConnectionsPerAddress,
    });
    created(connections.create(1, undefined, '10.0.0.2'));
    assert.deepEqual(connections.create(1, undefined, '10.0.0.3'), { limit: 'maximumPendingConnections', retryAfterSeconds: 3, text: EDGE_LIMIT_TEXTS.maximumPendingConnections });
    assert.equal(connections.size, 3);
    assert.equal(metrics.byLabel('limit', 'maximumPendingConnections').rateLimited, 1);
    assert.equal(metrics.byLabel('limit', 'maximumPendingConnectionsPerAddress').rateLimited, 1);
    assert.equal(metrics.byLabel('hub', '/hub').rateLimited, 2);
  });

  it('stop counting once claimed, removed or swept, each exactly once', () => {
    const { connections, clock } = manager({ pending: 2, pendingPerAddress: 2, disconnectTimeout: 1000 });
    const claimed = created(connections.create(1, undefined, 'a'));
    const removed = created(connections.create(1, undefined, 'a'));
    assert.equal(connections.limits.pendingCount(), 2);
    assert.equal(connections.claim(claimed, { kind: 'WebSockets', principal: undefined, request: request('a') }), undefined);
    assert.equal(connections.limits.pendingCount('a'), 1);
    connections.remove(removed);
    connections.remove(removed);
    assert.equal(connections.limits.pendingCount(), 0);
    const swept = created(connections.create(1, undefined, 'b'));
    created(connections.create(1, undefined, 'b'));
    assert.ok('limit' in connections.create(1, undefined, 'b'));
    clock.set(1000);
    connections.sweep(1000);
    assert.equal(connections.get(swept.token), undefined);
    assert.equal(connections.limits.pendingCount(), 0);
    // A claimed connection whose transport never attached (an upgrade that failed half-way) is swept too.
    assert.equal(connections.get(claimed.token), undefined);
    created(connections.create(1, undefined, 'b'));
    created(connections.create(1, undefined, 'b'));
  });

  it('keep nothing of the negotiate request but the user and the client address', () => {
    const { connections } = manager();
    const connection = created(connections.create(1, user('jane'), '10.0.0.9'));
    assert.equal(connection.clientAddress, '10.0.0.9');
    assert.equal(connection.principal?.userIdentifier, 'jane');
    assert.deepEqual(connection.request.headers, {});
  });
});

describe('connection limits', () => {
  it('count per user and per address when a transport claims, and give back on every end exactly once', () => {
    const { connections, clock } = manager({ rateLimits: { connectionsPerUser: 1, connectionsPerAddress: 2 } });
    const first = created(connections.create(1, user('u'), 'x'));
    assert.equal(connections.claim(first, { kind: 'WebSockets', principal: user('u'), request: request('10.0.0.1') }), undefined);
    assert.equal(first.clientAddress, '10.0.0.1');
    assert.equal(first.transportKind, 'WebSockets');

    const second = created(connections.create(1, user('u'), 'x'));
    assert.deepEqual(connections.claim(second, { kind: 'ServerSentEvents', principal: undefined, request: request('10.0.0.1') }), {
      limit: 'connectionsPerUser',
      retryAfterSeconds: 5,
      text: EDGE_LIMIT_TEXTS.connectionsPerUser,
    });
    // Refused: removed at once, nothing left counted or pending.
    assert.equal(connections.get(second.token), undefined);
    assert.equal(second.transportKind, undefined);
    assert.equal(connections.limits.pendingCount(), 0);

    const anonymous = created(connections.create(1, undefined, 'x'));
    assert.equal(connections.claim(anonymous, { kind: 'LongPolling', principal: undefined, request: request('10.0.0.1') }), undefined);
    const third = created(connections.create(1, undefined, 'x'));
    assert.equal(connections.claim(third, { kind: 'LongPolling', principal: user('v'), request: request('10.0.0.1') })?.limit, 'connectionsPerAddress');

    // Ends: a remove (close/abort), then the same remove again (a draining long poll finishing).
    connections.remove(first);
    connections.remove(first);
    const again = created(connections.create(1, undefined, 'x'));
    assert.equal(connections.claim(again, { kind: 'WebSockets', principal: user('u'), request: request('10.0.0.1') }), undefined);
    // The address holds two (anonymous + again): a third is still refused, so `first` gave back exactly one.
    const extra = created(connections.create(1, undefined, 'x'));
    assert.equal(connections.claim(extra, { kind: 'WebSockets', principal: undefined, request: request('10.0.0.1') })?.limit, 'connectionsPerAddress');

    // The sweep of an abandoned long poll gives back too.
    anonymous.transport = idleTransport(0);
    clock.set(20_000);
    connections.sweep(15_000);
    assert.equal(connections.get(anonymous.token), undefined);
    const afterSweep = created(connections.create(1, undefined, 'x'));
    assert.equal(connections.claim(afterSweep, { kind: 'WebSockets', principal: undefined, request: request('10.0.0.1') }), undefined);
  });

  it('a draining long poll releases when it ends, not again when it is forgotten', () => {
    const { connections, clock } = manager({ rateLimits: { connectionsPerAddress: 1 } });
    const lp = created(connections.create(1, undefined, 'x'));
    assert.equal(connections.claim(lp, { kind: 'LongPolling', principal: undefined, request: request('a') }), undefined);
    lp.transport = idleTransport(0, true);
    connections.remove(lp);
    assert.equal(connections.get(lp.token), lp, 'the token stays valid while draining');
    const next = created(connections.create(1, undefined, 'x'));
    assert.equal(connections.claim(next, { kind: 'WebSockets', principal: undefined, request: request('a') }), undefined);
    next.transport = { ...idleTransport(0), kind: 'WebSockets', idleSince: undefined };
    clock.set(60_000);
    connections.sweep(15_000);
    assert.equal(connections.get(lp.token), undefined);
    const over = created(connections.create(1, undefined, 'x'));
    assert.equal(connections.claim(over, { kind: 'WebSockets', principal: undefined, request: request('a') })?.limit, 'connectionsPerAddress');
  });

  it('keep the user negotiate proved when the transport request proves none', () => {
    const { connections } = manager({ rateLimits: { connectionsPerUser: 1 } });
    const first = created(connections.create(1, user('jane'), 'x'));
    assert.equal(connections.claim(first, { kind: 'WebSockets', principal: undefined, request: request('a') }), undefined);
    assert.equal(first.principal?.userIdentifier, 'jane');
    const second = created(connections.create(1, user('jane'), 'x'));
    assert.equal(connections.claim(second, { kind: 'WebSockets', principal: undefined, request: request('a') })?.limit, 'connectionsPerUser');
  });

  it('a dry run lets everything through, counts rateLimitedDryRun by limit and warns with the address', () => {
    const { connections, metrics, logger } = manager({
      rateLimits: { connectionsPerUser: 1, negotiatesPerAddress: { perSecond: 1, burst: 1 }, dryRun: true },
    });
    assert.equal(connections.negotiate('10.0.0.5'), undefined);
    assert.equal(connections.negotiate('10.0.0.5'), undefined);
    const a = created(connections.create(1, undefined, '10.0.0.5'));
    const b = created(connections.create(1, undefined, '10.0.0.5'));
    assert.equal(connections.claim(a, { kind: 'WebSockets', principal: user('u'), request: request('10.0.0.5') }), undefined);
    assert.equal(connections.claim(b, { kind: 'WebSockets', principal: user('u'), request: request('10.0.0.5') }), undefined);
    assert.equal(connections.size, 2);
    assert.equal(metrics.totals().rateLimited, 0);
    assert.equal(metrics.byLabel('limit', 'negotiatesPerAddress').rateLimitedDryRun, 1);
    assert.equal(metrics.byLabel('limit', 'connectionsPerUser').rateLimitedDryRun, 1);
    const warnings = logger.lines.filter((line) => line.level === 'warn');
    assert.deepEqual(
      warnings.map((line) => [line.fields['limit'], line.fields['clientAddress']]),
      [
        ['negotiatesPerAddress', '10.0.0.5'],
        ['connectionsPerUser', '10.0.0.5'],
      ],
    );
    // The one let through holds no count: when it ends, the counted one still counts.
    connections.remove(b);
    const c = created(connections.create(1, undefined, '10.0.0.5'));
    assert.equal(connections.claim(c, { kind: 'WebSockets', principal: user('u'), request: request('10.0.0.5') }), undefined);
    assert.equal(metrics.byLabel('limit', 'connectionsPerUser').rateLimitedDryRun, 2);
  });
});

describe('negotiates per address', () => {
  it('refuse past the bucket with Retry-After in whole seconds; other addresses are untouched', () => {
    const { connections, clock, metrics } = manager({ rateLimits: { negotiatesPerAddress: { perSecond: 0.5, burst: 2 } } });
    assert.equal(connections.negotiate('a'), undefined);
    assert.equal(connections.negotiate('a'), undefined);
    assert.deepEqual(connections.negotiate('a'), { limit: 'negotiatesPerAddress', retryAfterSeconds: 2, text: EDGE_LIMIT_TEXTS.negotiatesPerAddress });
    assert.equal(connections.negotiate('b'), undefined);
    clock.set(2000);
    assert.equal(connections.negotiate('a'), undefined);
    assert.equal(metrics.byLabel('limit', 'negotiatesPerAddress').rateLimited, 1);
  });
});

describe('client addresses', () => {
  it('come from X-Forwarded-For only when the socket is a trusted proxy', () => {
    const trusting = manager({ trustedProxies: ['loopback'] }).connections;
    const plain = manager().connections;
    const viaProxy = request('127.0.0.1', { 'x-forwarded-for': '203.0.113.7' });
    assert.equal(trusting.clientAddressOf(viaProxy), '203.0.113.7');
    assert.equal(plain.clientAddressOf(viaProxy), '127.0.0.1');
    assert.equal(trusting.clientAddressOf(request('198.51.100.1', { 'x-forwarded-for': '203.0.113.7' })), '198.51.100.1');
  });
});
