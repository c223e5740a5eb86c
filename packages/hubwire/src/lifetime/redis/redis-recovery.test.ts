/**
 * Recoverable groups on the Redis backplane, beyond the shared recovery suite: both layouts keep
 * the history under the prefix; a node whose subscriber was cut (CLIENT KILL, and kept out for a
 * while) catches up from the stream once it is back; a connection that comes back on another
 * node after its node went away is replayed what it missed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { HubwireError } from '../../core/errors.js';
import { jsonHubProtocol } from '../../protocol/json/json-hub-protocol.js';
import { MessageType, type InvocationMessage } from '../../protocol/messages.js';
import { OwnRedisServer } from '../../../../../test/support/redis-server.js';
import { cleanupsAfterEach, hello, managerNode, numsub, redisClient, untilAsync, type ManagerNode } from '../../../../../test/support/redis-manager.js';
import { FakeConnection } from '../conformance/fake-connection.js';
import type { GroupPosition, RecoveryOptions } from '../recovery/recovery-types.js';
import { historyKeys } from '../recovery/redis-history-store.js';
import type { RedisLifetimeManagerOptions } from './redis-lifetime-manager.js';

const sharedUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const defer = cleanupsAfterEach();
const recovery: RecoveryOptions = { groups: [{ match: 'org:*' }] };

async function node(options: RedisLifetimeManagerOptions): Promise<ManagerNode> {
  const made = managerNode(defer, { ...options, recovery });
  await made.manager.ready();
  return made;
}

/** The invocations of `target` a connection got, parsed. */
function invocations(connection: FakeConnection, target: string): InvocationMessage[] {
  return connection.seen
    .flatMap((message) => jsonHubProtocol.parse(message.get(jsonHubProtocol), null).messages)
    .filter((parsed): parsed is InvocationMessage => parsed.type === MessageType.Invocation && parsed.target === target);
}

/** The same, split into the arguments sent and the trailing position. */
function received(connection: FakeConnection, target: string): { args: unknown[]; position: GroupPosition }[] {
  return invocations(connection, target).map((invocation) => {
    const args = [...invocation.arguments];
    return { args, position: args.pop() as GroupPosition };
  });
}

/** Until `connection` got `count` invocations of `target` (at least). */
const got = (connection: FakeConnection, target: string, count: number) =>
  untilAsync(() => invocations(connection, target).length >= count, 5000, `${connection.connectionId} to get ${count} '${target}'`);

const offsets = (connection: FakeConnection, target: string) => received(connection, target).map((message) => message.position.offset);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const message = (target: string, ...args: unknown[]): InvocationMessage => ({ type: MessageType.Invocation, target, arguments: args });

describe('recoverable groups on the Redis backplane', () => {
  for (const layout of ['hubwire', 'aspnet'] as const) {
    test(`${layout} layout: sends to one recoverable group reach both nodes in offset order with the position; other audiences are not recorded`, async () => {
      const prefix = `t-${randomUUID()}`;
      const options = { url: sharedUrl, prefix, layout, channelPrefix: () => `Tests.${prefix}.TestHub` };
      const [n1, n2] = [await node(options), await node(options)];
      const [a, b] = [new FakeConnection('a'), new FakeConnection('b')];
      await n1.manager.onConnected(a);
      await n2.manager.onConnected(b);
      await n1.manager.addToGroup('a', 'org:1');
      await n2.manager.addToGroup('b', 'org:1');
      await n2.manager.addToGroup('b', 'plain');
      const keys = historyKeys(prefix, 'TestHub', 'org:1');
      const raw = await redisClient(defer, sharedUrl);
      defer(() => raw.del([keys.meta, keys.stream]));

      for (let i = 1; i <= 5; i++) await (i % 2 === 0 ? n2 : n1).manager.send({ kind: 'groups', names: ['org:1'] }, message('note', i));
      await n1.manager.send({ kind: 'groups', names: ['org:1', 'plain'] }, message('both'));
      for (const connection of [a, b]) {
        await got(connection, 'note', 5);
        assert.deepEqual(offsets(connection, 'note'), range(1, 5), connection.connectionId);
        assert.deepEqual(
          received(connection, 'note').map((note) => note.args),
          range(1, 5).map((i) => [i]),
        );
        await connection.received('both');
      }
      const epoch = received(a, 'note')[0]!.position.epoch;
      assert.deepEqual(received(b, 'note')[4]!.position, { group: 'org:1', offset: 5, epoch });
      // A send to two groups is the plain backplane's: no position, no entry.
      assert.deepEqual(invocations(b, 'both')[0]!.arguments, []);
      assert.equal(await raw.xLen(keys.stream), 5);
      assert.deepEqual(await n1.manager.recovery!.position('org:1'), { offset: 5, epoch });
    });
  }

  test('a node whose subscriber was killed while another node appended catches up from the stream: every entry, in order, once', async () => {
    const own = await OwnRedisServer.start();
    defer(() => own.stop());
    const options = { url: own.url, prefix: `t-${randomUUID()}`, maxReconnectDelay: 50 };
    const [n1, n2] = [await node(options), await node(options)];
    const [a, b, c] = [new FakeConnection('a'), new FakeConnection('b'), new FakeConnection('c')];
    await n1.manager.onConnected(a);
    await n2.manager.onConnected(b);
    await n2.manager.onConnected(c);
    await n1.manager.addToGroup('a', 'org:1');
    await n2.manager.addToGroup('b', 'org:1');
    await n2.manager.recovery!.recover('c', 'org:1', { since: { offset: 0 } });
    const send = (i: number) => n1.manager.send({ kind: 'groups', names: ['org:1'] }, message('note', i));
    await send(1);
    await got(b, 'note', 1);

    // Every subscriber is cut and kept out (no new connection is taken) while n1 goes on
    // appending through its publisher, which stays connected.
    const admin = await redisClient(defer, own.url);
    const connected = Number(/connected_clients:(\d+)/.exec(await admin.info('clients'))![1]);
    await admin.configSet('maxclients', String(connected - 2));
    defer(() => admin.configSet('maxclients', '10000'));
    assert.equal(Number(await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub'])), 2, 'both subscribers killed');
    for (let i = 2; i <= 20; i++) await send(i);
    assert.equal(await numsub(admin, historyKeys(options.prefix, 'TestHub', 'org:1').channel), 0, 'nobody heard them');
    assert.deepEqual(offsets(b, 'note'), [1], 'n2 heard none of them');

    await admin.configSet('maxclients', '10000');
    for (const connection of [a, b, c]) {
      await got(connection, 'note', 20);
    }
    await send(21);
    for (const connection of [a, b, c]) {
      await got(connection, 'note', 21);
      assert.deepEqual(offsets(connection, 'note'), range(1, 21), `${connection.connectionId}: in order, once each`);
    }
    assert.ok((n2.metrics.totals().recoveryGapsFilled ?? 0) >= 19, 'n2 read them from the stream');
  });

  test('Redis away: a recoverable send is refused (HUB_ERR_BACKPLANE), counted and logged; Redis back empty: a new epoch from offset 1', async () => {
    const own = await OwnRedisServer.start();
    defer(() => own.stop());
    const options = { url: own.url, prefix: `t-${randomUUID()}`, maxReconnectDelay: 50 };
    const [n1, n2] = [await node(options), await node(options)];
    const [a, b] = [new FakeConnection('a'), new FakeConnection('b')];
    await n1.manager.onConnected(a);
    await n2.manager.onConnected(b);
    await n1.manager.addToGroup('a', 'org:1');
    await n2.manager.addToGroup('b', 'org:1');
    const send = (i: number) => n1.manager.send({ kind: 'groups', names: ['org:1'] }, message('note', i));
    await send(1);
    await got(b, 'note', 1);
    const before = received(b, 'note')[0]!.position;

    await own.stop();
    await assert.rejects(send(2), (error: unknown) => error instanceof HubwireError && error.code === 'HUB_ERR_BACKPLANE');
    assert.equal(n1.metrics.totals().backplanePublishFailures, 1);
    assert.ok(n1.warnings.length >= 1, 'the outage is logged (once, by whichever failure came first)');
    assert.deepEqual(offsets(a, 'note'), [1], 'nothing reached the local member either: it had no position');

    await own.restart();
    await untilAsync(async () => {
      try {
        await send(3);
        return true;
      } catch {
        return false;
      }
    }, 5000, 'a send to go through again');
    for (const connection of [a, b]) {
      await got(connection, 'note', 2);
      const positions = received(connection, 'note').map((note) => note.position);
      assert.equal(positions[1]!.offset, 1, `${connection.connectionId}: the lost history starts again at 1`);
      assert.notEqual(positions[1]!.epoch, before.epoch, 'in a new epoch');
      assert.deepEqual(received(connection, 'note')[1]!.args, [3]);
    }
  });

  test('a connection that comes back on another node after its node went away is replayed what it missed', async () => {
    const options = { url: sharedUrl, prefix: `t-${randomUUID()}` };
    const [n1, n2] = [await node(options), await node(options)];
    const keys = historyKeys(options.prefix, 'TestHub', 'org:7');
    const raw = await redisClient(defer, sharedUrl);
    defer(() => raw.del([keys.meta, keys.stream]));
    const before = new FakeConnection('before');
    await n1.manager.onConnected(before);
    await n1.manager.recovery!.recover('before', 'org:7');
    for (let i = 1; i <= 3; i++) await n2.manager.send({ kind: 'groups', names: ['org:7'] }, message('note', i));
    await got(before, 'note', 3);
    const last = received(before, 'note')[2]!.position;
    await n1.manager.close();

    for (let i = 4; i <= 6; i++) await n2.manager.send({ kind: 'groups', names: ['org:7'] }, message('note', i));
    const after = new FakeConnection('after');
    await n2.manager.onConnected(after);
    let missed = false;
    const result = await n2.manager.recovery!.recover('after', 'org:7', { since: { offset: last.offset, epoch: last.epoch }, onMissed: () => void (missed = true) });
    assert.deepEqual(result, { recovered: true, position: { offset: 6, epoch: last.epoch }, replayed: 3 });
    assert.equal(missed, false);
    await n2.manager.send({ kind: 'groups', names: ['org:7'] }, hello('live'));
    await after.received('live');
    assert.deepEqual(offsets(after, 'note'), [4, 5, 6]);
  });
});
