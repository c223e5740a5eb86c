import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SendWatch } from './send-watch.js';

describe('SendWatch', () => {
  it('says nothing while sends complete, even when the buffer is never empty', () => {
    const watch = new SendWatch(10_000);
    // A slow reader: 1,000 bytes written and 1,000 flushed per second, 500 always waiting.
    for (let second = 0; second < 60; second++) {
      const written = 1000 * (second + 1) + 500;
      assert.equal(watch.check(second * 1000, written, 500), undefined, `second ${second}`);
    }
  });

  it('reports a send that has not completed within the timeout', () => {
    const watch = new SendWatch(10_000);
    assert.equal(watch.check(0, 5000, 4000), undefined);
    for (let t = 1000; t < 10_000; t += 1000) assert.equal(watch.check(t, 5000 + t, 4000 + t), undefined);
    assert.equal(watch.check(10_000, 15_000, 14_000), 10_000);
  });

  it('forgets a stall that cleared, and can be switched off', () => {
    const watch = new SendWatch(3000);
    watch.check(0, 100, 100);
    watch.check(2000, 100, 0);
    assert.equal(watch.check(4000, 100, 0), undefined);
    const off = new SendWatch(0);
    for (let t = 0; t < 100_000; t += 1000) assert.equal(off.check(t, 10, 10), undefined);
  });
});
