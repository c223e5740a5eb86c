import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from './rate-limits.js';

describe('RateLimiter', () => {
  it('checks the method limit, then the connection, then the user', () => {
    const limiter = new RateLimiter({
      methods: { sendmessage: { perSecond: 1, burst: 1 } },
      invocationsPerConnection: { perSecond: 1, burst: 3 },
      invocationsPerUser: { perSecond: 1, burst: 4 },
    });
    assert.equal(limiter.limitsInvocations, true);
    assert.equal(limiter.invocation('c1', 'u', 'sendmessage', 0), undefined);
    assert.deepEqual(limiter.invocation('c1', 'u', 'sendmessage', 0), { limit: 'method', retryAfterMs: 1000 });
    // The refused method call took nothing from the connection's bucket: two more plain calls fit.
    assert.equal(limiter.invocation('c1', 'u', 'other', 0), undefined);
    assert.equal(limiter.invocation('c1', 'u', 'other', 0), undefined);
    assert.equal(limiter.invocation('c1', 'u', 'other', 0)?.limit, 'invocationsPerConnection');
    // Another connection of the same user has its own bucket, but the user's is shared: 4 in all.
    assert.equal(limiter.invocation('c2', 'u', 'other', 0), undefined);
    assert.equal(limiter.invocation('c2', 'u', 'other', 0)?.limit, 'invocationsPerUser');
    // Anonymous callers have no user limit.
    assert.equal(limiter.invocation('c3', undefined, 'other', 0), undefined);
  });

  it('counts connections per user and per address, and gives both back on close', () => {
    const limiter = new RateLimiter({ connectionsPerUser: 1, connectionsPerAddress: 2 });
    assert.equal(limiter.connectionOpened('u', '10.0.0.1'), undefined);
    assert.deepEqual(limiter.connectionOpened('u', '10.0.0.1'), { limit: 'connectionsPerUser' });
    assert.equal(limiter.connectionOpened(undefined, '10.0.0.1'), undefined);
    // Refused by address: the user's count taken on the way is given back.
    assert.deepEqual(limiter.connectionOpened('v', '10.0.0.1'), { limit: 'connectionsPerAddress' });
    assert.equal(limiter.connectionOpened('v', '10.0.0.2'), undefined);
    limiter.connectionClosed('u', '10.0.0.1', 'c1');
    assert.equal(limiter.connectionOpened('u', '10.0.0.1'), undefined);
  });

  it('forgetConnection drops only the invocation buckets of a connection, never a count', () => {
    const limiter = new RateLimiter({ invocationsPerConnection: { perSecond: 1, burst: 1 }, connectionsPerAddress: 1 });
    assert.equal(limiter.limitsConnections, true);
    assert.equal(limiter.connectionOpened(undefined, 'a'), undefined);
    assert.equal(limiter.invocation('c1', undefined, 'm', 0), undefined);
    assert.equal(limiter.invocation('c1', undefined, 'm', 0)?.limit, 'invocationsPerConnection');
    limiter.forgetConnection('c1');
    assert.equal(limiter.invocation('c1', undefined, 'm', 0), undefined);
    // The address still holds its one connection.
    assert.equal(limiter.connectionOpened(undefined, 'a')?.limit, 'connectionsPerAddress');
    assert.equal(new RateLimiter({ invocationsPerUser: { perSecond: 1 } }).limitsConnections, false);
  });

  it('limits negotiates per address; no limit set means nothing is refused', () => {
    const limiter = new RateLimiter({ negotiatesPerAddress: { perSecond: 1, burst: 2 } });
    assert.equal(limiter.negotiate('a', 0), undefined);
    assert.equal(limiter.negotiate('a', 0), undefined);
    assert.deepEqual(limiter.negotiate('a', 0), { limit: 'negotiatesPerAddress', retryAfterMs: 1000 });
    assert.equal(limiter.negotiate('b', 0), undefined);
    const none = new RateLimiter({});
    assert.equal(none.limitsInvocations, false);
    for (let i = 0; i < 100; i++) assert.equal(none.invocation('c', 'u', 'm', 0) ?? none.negotiate('a', 0) ?? none.connectionOpened('u', 'a'), undefined);
  });
});
