/**
 * The recovery suite's slow-consumer cases: one member whose backlog the test holds over the
 * high-water mark, one that reads; each policy of the spec, and the others never delayed.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { firsts, offsets, type SuiteContext } from './recovery-suite-support.js';

/** Registers the slow-consumer cases. */
export function slowConsumerCases(name: string, { nodes, member, send }: SuiteContext): void {
  describe(`${name}: slow members of recoverable groups`, () => {
    test('slow consumer, drop-oldest: the slow member keeps the newest maxQueued, the others are not delayed', async () => {
      const [node] = await nodes(1);
      const fast = await member(node!, 'fast', 'slow-drop:1');
      const slow = await member(node!, 'slow', 'slow-drop:1');
      slow.setBacklog(1000);
      for (let i = 1; i <= 6; i++) await send(node!, 'slow-drop:1', 'm', i);
      await fast.received('m', 6);
      assert.deepEqual(offsets(slow), []);
      slow.setBacklog(0);
      await slow.received('m', 3);
      assert.deepEqual(offsets(slow), [4, 5, 6]);
      assert.equal(node!.metrics.totals().recoverySlowDrops, 3);
      // Drained: it is live again.
      await send(node!, 'slow-drop:1', 'm', 7);
      await slow.received('m', 4);
      assert.deepEqual(offsets(slow), [4, 5, 6, 7]);
    });

    test('slow consumer, keep-latest: a waiting message with the same key is replaced by the newer one', async () => {
      const [node] = await nodes(1);
      const fast = await member(node!, 'fast', 'slow-latest:1');
      const slow = await member(node!, 'slow', 'slow-latest:1');
      slow.setBacklog(1000);
      for (const symbol of ['x', 'y', 'x', 'z', 'x']) await send(node!, 'slow-latest:1', 'm', symbol);
      await fast.received('m', 5);
      slow.setBacklog(0);
      await slow.received('m', 3);
      // [x1 y2 x3] + z4: no other z, the oldest (x1) goes; + x5: replaces x3.
      assert.deepEqual(offsets(slow), [2, 4, 5]);
      assert.deepEqual(firsts(slow), ['y', 'z', 'x']);
      const totals = node!.metrics.totals();
      assert.equal(totals.recoverySlowConflated, 1);
      assert.equal(totals.recoverySlowDrops, 1);
    });

    test('slow consumer, disconnect: the member is closed as slow once maxQueued is passed; the others get everything', async () => {
      const [node] = await nodes(1);
      const fast = await member(node!, 'fast', 'slow-close:1');
      const slow = await member(node!, 'slow', 'slow-close:1');
      slow.setBacklog(1000);
      for (let i = 1; i <= 5; i++) await send(node!, 'slow-close:1', 'm', i);
      await fast.received('m', 5);
      assert.equal(typeof slow.closedAsSlow, 'string');
      assert.equal(node!.metrics.totals().slowConsumerDisconnects, 1);
      slow.setBacklog(0);
      await node!.manager.onDisconnected(slow);
      await send(node!, 'slow-close:1', 'm', 6);
      await fast.received('m', 6);
      assert.deepEqual(offsets(slow), []);
    });
  });
}
