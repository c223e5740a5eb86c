/**
 * The recovery suite's cross-node cases, for systems of several nodes on one history (Redis):
 * one order for all, recovery on the other node, explicit offsets from both, snapshots first.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { messagePackHubProtocol } from '../../protocol/msgpack/msgpack-hub-protocol.js';
import { firsts, invocation, offsets, positions, range, recoveryOf, type SuiteContext } from './recovery-suite-support.js';

/** Registers the cross-node cases. */
export function crossNodeCases(name: string, { nodes, member, send }: SuiteContext): void {
  describe(`${name}: recoverable groups across nodes`, () => {
    test('members on both nodes get every entry, from sends on both nodes, in one order', async () => {
      const [one, two] = await nodes(2);
      const a = await member(one!, 'a', 'feed:1');
      const b = await member(two!, 'b', 'feed:1', messagePackHubProtocol);
      const sends: Promise<void>[] = [];
      for (let i = 0; i < 10; i++) sends.push(send(one!, 'feed:1', 'm', `one-${i}`), send(two!, 'feed:1', 'm', `two-${i}`));
      await Promise.all(sends);
      await Promise.all([a.received('m', 20), b.received('m', 20)]);
      assert.deepEqual(offsets(a), range(1, 20));
      assert.deepEqual(offsets(b), range(1, 20));
      assert.deepEqual(firsts(a), firsts(b));
      // Each node's own sends keep their order.
      const order = firsts(a) as string[];
      for (const prefix of ['one-', 'two-']) {
        assert.deepEqual(order.filter((value) => value.startsWith(prefix)), range(0, 9).map((i) => `${prefix}${i}`));
      }
    });

    test('a connection that comes back on the other node recovers what it missed there, then goes on live', async () => {
      const [one, two] = await nodes(2);
      const a = await member(one!, 'a', 'feed:1');
      for (let i = 1; i <= 3; i++) await send(one!, 'feed:1', 'm', i);
      await a.received('m', 3);
      const { epoch } = positions(a)[0]!;
      await one!.manager.onDisconnected(a);
      await send(one!, 'feed:1', 'm', 4);
      const back = await two!.connect('a-again');
      const racing = [send(one!, 'feed:1', 'm', 5), send(two!, 'feed:1', 'm', 6)];
      const result = await recoveryOf(two!).recover('a-again', 'feed:1', { since: { offset: 1, epoch } });
      await Promise.all(racing);
      await send(one!, 'feed:1', 'm', 7);
      await back.received('m', 6);
      assert.equal(result.recovered, true);
      assert.deepEqual(offsets(back), range(2, 7));
      assert.deepEqual(await recoveryOf(two!).position('feed:1'), await recoveryOf(one!).position('feed:1'));
    });

    test('an explicit offset published by both nodes reaches members once', async () => {
      const [one, two] = await nodes(2);
      const a = await member(one!, 'a', 'feed:1');
      const b = await member(two!, 'b', 'feed:1');
      const results = await Promise.all([one!, two!].map((node) => recoveryOf(node).publish('feed:1', [{ target: 'm', arguments: ['once'] }], { offset: 1 })));
      assert.deepEqual(results.map((result) => result.duplicate).sort(), [false, true]);
      await send(one!, 'feed:1', 'm', 'after');
      await Promise.all([a.received('m', 2), b.received('m', 2)]);
      assert.deepEqual(firsts(a), ['once', 'after']);
      assert.deepEqual(firsts(b), ['once', 'after']);
    });

    test('onMissed on the other node: the snapshot arrives before live messages sent from the first node', async () => {
      const [one, two] = await nodes(2);
      await send(one!, 'feed:1', 'm', 1);
      const b = await two!.connect('b');
      const result = await recoveryOf(two!).recover('b', 'feed:1', {
        since: { offset: 0, epoch: 'gone' },
        onMissed: async () => {
          await send(one!, 'feed:1', 'm', 2);
          await two!.manager.send({ kind: 'connections', ids: ['b'] }, invocation('snapshot'));
        },
      });
      assert.equal(result.recovered, false);
      await b.received('m', 1);
      assert.deepEqual(b.targets, ['snapshot', 'm']);
      assert.deepEqual(offsets(b), [2]);
    });
  });
}
