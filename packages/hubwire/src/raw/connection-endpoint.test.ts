import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpConnection } from '../connections/http-connection.js';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { createCounterMetrics } from '../core/metrics.js';
import { ConnectionEndpoint } from './connection-endpoint.js';
import { resolveConnectionOptions } from './connection-options.js';

const request = { headers: {}, query: new URLSearchParams(), cookies: {}, remoteAddress: '10.0.0.1' };

describe('ConnectionEndpoint limits', () => {
  it('shutdown gives back what every connection holds: pending slots and connection counts', () => {
    const endpoint = new ConnectionEndpoint({
      path: '/raw',
      handler: () => undefined,
      options: resolveConnectionOptions({ maximumPendingConnectionsPerAddress: 1, rateLimits: { connectionsPerAddress: 1 } }),
      clock: systemClock,
      logger: silentLogger,
      metrics: createCounterMetrics(),
    });
    const claimed = endpoint.connections.create(1, undefined, '10.0.0.1');
    assert.ok(claimed instanceof HttpConnection);
    assert.equal(endpoint.connections.claim(claimed, { kind: 'LongPolling', principal: undefined, request }), undefined);
    const pending = endpoint.connections.create(1, undefined, '10.0.0.1');
    assert.ok(pending instanceof HttpConnection);
    assert.equal((endpoint.connections.create(1, undefined, '10.0.0.1') as { limit?: string }).limit, 'maximumPendingConnectionsPerAddress');

    endpoint.shutdown();
    assert.equal(endpoint.connections.size, 0);
    const again = endpoint.connections.create(1, undefined, '10.0.0.1');
    assert.ok(again instanceof HttpConnection, 'the pending slot was given back');
    assert.equal(endpoint.connections.claim(again, { kind: 'LongPolling', principal: undefined, request }), undefined, 'the connection count was given back');
  });
});
