import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConcurrencyLimit, TokenBuckets } from './token-buckets.js';

describe('TokenBuckets', () => {
  it('allows the burst at once, then the sustained rate', () => {
    const buckets = new TokenBuckets({ perSecond: 2, burst: 3 });
    for (let i = 0; i < 3; i++) assert.equal(buckets.take('a', 0).allowed, true);
    const refused = buckets.take('a', 0);
    assert.deepEqual(refused, { allowed: false, retryAfterMs: 500 });
    assert.equal(buckets.take('a', 499).allowed, false);
    assert.equal(buckets.take('a', 500).allowed, true);
    assert.equal(buckets.take('a', 500).allowed, false);
  });

  it('keeps keys apart and never refills past the burst', () => {
    const buckets = new TokenBuckets({ perSecond: 1, burst: 1 });
    assert.equal(buckets.take('a', 0).allowed, true);
    assert.equal(buckets.take('b', 0).allowed, true);
    assert.equal(buckets.take('a', 0).allowed, false);
    assert.equal(buckets.take('a', 60_000).allowed, true);
    assert.equal(buckets.take('a', 60_000).allowed, false);
  });

  it('forgets the least recently used key past maxKeys, so made-up keys cannot grow memory', () => {
    const buckets = new TokenBuckets({ perSecond: 1, burst: 1 }, 3);
    buckets.take('busy', 0);
    for (let i = 0; i < 1000; i++) {
      buckets.take(`k${i}`, 0);
      buckets.take('busy', 0); // touched every time: never the least recently used
    }
    assert.equal(buckets.size, 3);
    assert.equal(buckets.take('busy', 0).allowed, false, 'the busy key kept its (empty) bucket');
  });

  it('refuses nonsense limits', () => {
    assert.throws(() => new TokenBuckets({ perSecond: 0 }), RangeError);
    assert.throws(() => new TokenBuckets({ perSecond: 1, burst: 0.5 }), RangeError);
    assert.throws(() => new TokenBuckets({ perSecond: 1 }, 0), RangeError);
  });
});

describe('ConcurrencyLimit', () => {
  it('counts up to the ceiling and forgets keys at zero', () => {
    const limit = new ConcurrencyLimit(2);
    assert.equal(limit.acquire('x'), true);
    assert.equal(limit.acquire('x'), true);
    assert.equal(limit.acquire('x'), false);
    assert.equal(limit.count('x'), 2);
    limit.release('x');
    assert.equal(limit.acquire('x'), true);
    limit.release('x');
    limit.release('x');
    assert.equal(limit.count('x'), 0);
    limit.release('x');
    assert.equal(limit.count('x'), 0);
  });
});
