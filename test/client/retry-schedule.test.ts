/**
 * The reconnect schedule of @hubwire/client: the default delays, jitter bounds, giving up, and
 * the options it refuses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RETRY_DELAYS, retrySchedule } from '@hubwire/client';

const delayAfter = (policy: ReturnType<typeof retrySchedule>, previousRetryCount: number) =>
  policy.nextRetryDelayInMilliseconds({ previousRetryCount, elapsedMilliseconds: 0, retryReason: new Error('lost') });

describe('retrySchedule', () => {
  it('defaults to 0, 2, 10, 30 s, then every 30 s forever (random 0.5: no jitter offset)', () => {
    const policy = retrySchedule({ random: () => 0.5 });
    assert.deepEqual(DEFAULT_RETRY_DELAYS, [0, 2000, 10_000, 30_000]);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 100, 10_000].map((count) => delayAfter(policy, count)), [0, 2000, 10_000, 30_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it('jitters each delay within ±20 % by default, and leaves a delay of 0 at 0', () => {
    const low = retrySchedule({ random: () => 0 });
    const high = retrySchedule({ random: () => 0.999_999 });
    assert.deepEqual([0, 1, 2, 3, 7].map((count) => delayAfter(low, count)), [0, 1600, 8000, 24_000, 24_000]);
    assert.deepEqual([0, 1, 2, 3, 7].map((count) => delayAfter(high, count)), [0, 2400, 12_000, 36_000, 36_000]);
    const drawn = Array.from({ length: 200 }, () => delayAfter(retrySchedule(), 1)!);
    assert.ok(drawn.every((delay) => delay >= 1600 && delay <= 2400), `every draw within 1600..2400: ${Math.min(...drawn)}..${Math.max(...drawn)}`);
    assert.ok(new Set(drawn).size > 10, 'the draws differ');
  });

  it('takes its own delays, a steady delay after them, no jitter, or gives up with then: null', () => {
    const policy = retrySchedule({ delays: [5, 10], then: 20, jitter: 0 });
    assert.deepEqual([0, 1, 2, 3].map((count) => delayAfter(policy, count)), [5, 10, 20, 20]);
    const finite = retrySchedule({ delays: [1, 2], then: null });
    assert.deepEqual([0, 1, 2, 3].map((count) => delayAfter(finite, count)), [1, 2, null, null]);
    const noDelays = retrySchedule({ delays: [], jitter: 0 });
    assert.equal(delayAfter(noDelays, 0), 30_000);
  });

  it('refuses delays, then and jitter that make no sense', () => {
    assert.throws(() => retrySchedule({ delays: [0, -1] }), RangeError);
    assert.throws(() => retrySchedule({ delays: [Number.NaN] }), RangeError);
    assert.throws(() => retrySchedule({ then: Number.POSITIVE_INFINITY }), RangeError);
    assert.throws(() => retrySchedule({ jitter: 1.5 }), RangeError);
    assert.throws(() => retrySchedule({ jitter: -0.1 }), RangeError);
  });
});
