/**
 * What only the Redis backplane does (the shared behaviour is in redis-conformance.test.ts):
 * channel subscriptions that follow local membership, timeouts of remote group changes, client
 * results for a connection on another node (errors, timeouts, cancels), foreign messages, and a
 * Redis outage.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { createClient } from '@redis/client';
import { HubError, HubwireError } from '../../core/errors.js';
import { createRecordingMetrics } from '../../core/recording-metrics.js';
import { cleanupsAfterEach, hello, managerNode, numsub, redisClient, twoNodesIntoOutage, untilAsync, type ManagerNode } from '../../../../../test/support/redis-manager.js';
import { OwnRedisServer } from '../../../../../test/support/redis-server.js';
import { countingJson, FakeConnection } from '../conformance/fake-connection.js';
import { RedisLifetimeManager, type RedisLifetimeManagerOptions } from './redis-lifetime-manager.js';

const sharedUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const defer = cleanupsAfterEach();
const redis = (url = sharedUrl) => redisClient(defer, url);

async function node(prefix: string, options: RedisLifetimeManagerOptions = {}, waitReady = true): Promise<ManagerNode> {
  const made = managerNode(defer, { url: sharedUrl, ...options, prefix });
  if (waitReady) await made.manager.ready();
  return made;
}

describe('RedisLifetimeManager', () => {
  test('a group channel is subscribed while a local member exists, and dropped with the last one', async () => {
    const prefix = `t-${randomUUID()}`;
    const { manager } = await node(prefix);
    const probe = await redis();
    const channel = `${prefix}:TestHub:group:room`;
    const [a, b] = [new FakeConnection('a'), new FakeConnection('b')];
    await manager.onConnected(a);
    await manager.onConnected(b);
    assert.equal(await numsub(probe, channel), 0);
    await manager.addToGroup('a', 'room');
    await manager.addToGroup('b', 'room');
    assert.equal(await numsub(probe, channel), 1, 'one subscription per node, however many members');
    await manager.removeFromGroup('a', 'room');
    assert.equal(await numsub(probe, channel), 1);
    await manager.onDisconnected(b);
    assert.equal(await numsub(probe, channel), 0);
  });

  test('a user channel lives as long as a local connection of the user, a connection channel as the connection', async () => {
    const prefix = `t-${randomUUID()}`;
    const { manager } = await node(prefix);
    const probe = await redis();
    const [a, c] = [new FakeConnection('a', 'alice'), new FakeConnection('c', 'alice')];
    await manager.onConnected(a);
    await manager.onConnected(c);
    assert.equal(await numsub(probe, `${prefix}:TestHub:user:alice`), 1);
    await manager.onDisconnected(a);
    assert.equal(await numsub(probe, `${prefix}:TestHub:user:alice`), 1);
    assert.equal(await numsub(probe, `${prefix}:TestHub:connection:a`), 0);
    assert.equal(await numsub(probe, `${prefix}:TestHub:connection:c`), 1);
    await manager.onDisconnected(c);
    assert.equal(await numsub(probe, `${prefix}:TestHub:user:alice`), 0);
  });

  test('a remote group change nobody acknowledges fails after groupTimeout with a clear error', async () => {
    const prefix = `t-${randomUUID()}`;
    const { manager } = await node(prefix, { groupTimeout: 200 });
    // Something listens on the connection's channel but never answers: a hung node.
    const silent = await redis();
    await silent.subscribe(`${prefix}:TestHub:connection:ghost`, () => undefined);
    const started = Date.now();
    await assert.rejects(manager.addToGroup('ghost', 'g'), {
      code: 'HUB_ERR_BACKPLANE',
      message: "The node of connection 'ghost' did not add it to group 'g' within 200 ms.",
    });
    assert.ok(Date.now() - started >= 190);
    await assert.rejects(manager.removeFromGroup('ghost', 'g'), { message: /did not remove it from group 'g'/ });
  });

  test('client results across nodes: arguments and answers cross, errors keep their class and text', async () => {
    const prefix = `t-${randomUUID()}`;
    const [n1, n2] = [await node(prefix), await node(prefix)];
    const seen: unknown[][] = [];
    const answering = new FakeConnection('b');
    answering.invokeClient = async (target: string, args: readonly unknown[]) => {
      seen.push([target, ...args]);
      if (target === 'fail') throw new HubError('no way');
      if (target === 'gone') throw new HubwireError('HUB_ERR_CLIENT_RESULT', "Connection 'b' disconnected.");
      return { echoed: args, bytes: new Uint8Array([1, 2]) };
    };
    await n2.manager.onConnected(answering);
    assert.deepEqual(await n1.manager.invokeConnection('b', 'ask', [1, 'two', { three: [3] }], {}), { echoed: [1, 'two', { three: [3] }], bytes: new Uint8Array([1, 2]) });
    assert.deepEqual(seen, [['ask', 1, 'two', { three: [3] }]]);
    await assert.rejects(n1.manager.invokeConnection('b', 'fail', [], {}), (error: unknown) => error instanceof HubError && error.message === 'no way');
    await assert.rejects(n1.manager.invokeConnection('b', 'gone', [], {}), { code: 'HUB_ERR_CLIENT_RESULT', message: "Connection 'b' disconnected." });
  });

  test('client results across nodes: the timeout runs on the connection\'s node, the signal cancels on both', async () => {
    const prefix = `t-${randomUUID()}`;
    const [n1, n2] = [await node(prefix), await node(prefix)];
    const remoteSignals: AbortSignal[] = [];
    const silent = new FakeConnection('b');
    // A client that never answers: the call ends by the timeout or the signal, as on one node.
    silent.invokeClient = (_target: string, _args: readonly unknown[], options: { signal?: AbortSignal; timeout?: number }) =>
      new Promise((_resolve, reject) => {
        remoteSignals.push(options.signal!);
        const timer = options.timeout === undefined ? undefined : setTimeout(() => reject(new HubwireError('HUB_ERR_CLIENT_RESULT', `Client result timed out after ${options.timeout} ms.`)), options.timeout);
        options.signal!.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new HubwireError('HUB_ERR_CLIENT_RESULT', 'Invocation canceled by the server.'));
        });
      });
    await n2.manager.onConnected(silent);
    await assert.rejects(n1.manager.invokeConnection('b', 'ask', [], { timeout: 100 }), { message: 'Client result timed out after 100 ms.' });
    const controller = new AbortController();
    const call = n1.manager.invokeConnection('b', 'ask', [], { signal: controller.signal });
    await untilAsync(() => remoteSignals.length === 2, 5000, 'the call to reach node two');
    controller.abort();
    await assert.rejects(call, { code: 'HUB_ERR_CLIENT_RESULT', message: 'Invocation canceled by the server.' });
    await untilAsync(() => remoteSignals[1]!.aborted, 5000, 'the cancel to reach node two');
  });

  test('client results across nodes: a node that never answers fails a timed call on the caller\'s side too', async () => {
    const prefix = `t-${randomUUID()}`;
    const [n1, n2] = [await node(prefix), await node(prefix)];
    const hung = new FakeConnection('b');
    // As a node that died mid-call: neither the answer nor its own timeout ever comes back.
    hung.invokeClient = () => new Promise(() => undefined);
    await n2.manager.onConnected(hung);
    const started = Date.now();
    await assert.rejects(n1.manager.invokeConnection('b', 'ask', [], { timeout: 100 }), { code: 'HUB_ERR_CLIENT_RESULT', message: 'Client result timed out after 100 ms.' });
    const waited = Date.now() - started;
    assert.ok(waited >= 2000 && waited < 4000, `gave up after ${waited} ms`);
  });

  test('a foreign message on a hub channel is dropped with a warning; delivery goes on', async () => {
    const prefix = `t-${randomUUID()}`;
    const [n1, n2] = [await node(prefix), await node(prefix)];
    const b = new FakeConnection('b');
    await n2.manager.onConnected(b);
    const probe = await redis();
    await probe.publish(`${prefix}:TestHub:all`, 'not ours');
    await n1.manager.send({ kind: 'all' }, hello('after'));
    await b.received('after');
    assert.deepEqual(n2.warnings, ['Dropped a Redis message that is not a Hubwire backplane message']);
  });

  test('Redis outage: local delivery goes on, cross-node sends are counted and logged, recovery by itself', async () => {
    const prefix = `t-${randomUUID()}`;
    const { own, n1, n2, b } = await twoNodesIntoOutage(defer, (options) => node(prefix, options));
    // Group changes of local connections go on too, and their channels follow after recovery.
    const c = new FakeConnection('c');
    await n2.manager.onConnected(c);
    await n2.manager.addToGroup('c', 'late');
    await assert.rejects(n1.manager.addToGroup('c', 'late'), { code: 'HUB_ERR_BACKPLANE' });

    await own.restart();
    const probe = await redis(own.url);
    // The new server starts empty: every channel there is one the nodes subscribed again.
    await untilAsync(async () => (await numsub(probe, `${prefix}:TestHub:group:g`)) === 2, 10_000, 'both nodes to resubscribe to the group');
    await untilAsync(async () => (await numsub(probe, `${prefix}:TestHub:group:late`)) === 1, 5000, 'the group joined during the outage');
    await untilAsync(async () => (await numsub(probe, `${prefix}:TestHub:node:${n1.manager.nodeId}`)) === 1, 5000, 'node channel');
    await n1.manager.send({ kind: 'groups', names: ['g', 'late'] }, hello('after'));
    await b.received('after');
    await c.received('after');
    await n1.manager.addToGroup('b', 'again');
    assert.equal(b.count('during'), 0);
  });

  test('an outage is over when both connections are back: an application client that returns later does not warn a second time', async () => {
    const own = await OwnRedisServer.start();
    defer(() => own.stop());
    // The application's publishing client comes back slowly, the backplane's subscriber fast.
    let slow = false;
    const client = createClient({ url: own.url, disableOfflineQueue: true, socket: { reconnectStrategy: () => (slow ? 1500 : 50) } });
    client.on('error', () => undefined);
    await client.connect();
    defer(async () => client.destroy());
    const infos: string[] = [];
    const warnings: string[] = [];
    const logger = { debug: () => undefined, error: () => undefined, info: (_f: object, text: string) => void infos.push(text), warn: (_f: object, text: string) => void warnings.push(text) };
    const manager = new RedisLifetimeManager({ client, prefix: `t-${randomUUID()}`, hubName: 'TestHub', protocols: [countingJson()], maxReconnectDelay: 50, presence: false, logger });
    defer(() => manager.close());
    await manager.ready();

    slow = true;
    await own.stop();
    await manager.send({ kind: 'all' }, hello('during'));
    await untilAsync(() => warnings.length >= 1, 5000, 'the outage warning');
    const before = warnings.length;
    await own.restart();
    // Sends go on all the while: in the gap they fail as part of the same outage.
    await untilAsync(
      async () => {
        await manager.send({ kind: 'all' }, hello('gap'));
        return infos.includes('Redis backplane connection is back');
      },
      10_000,
      'the recovery line',
    );
    // Until the application's client was back, every publish failed — without a new warning.
    assert.equal(client.isReady, true, 'recovery is reported only once the publisher is back too');
    assert.equal(warnings.length, before);
    assert.equal(infos.filter((text) => text === 'Redis backplane connection is back').length, 1);
  });

  test('metrics: publishes and receipts are counted, and each Redis connection is a 1/0 gauge that follows an outage', async () => {
    const own = await OwnRedisServer.start();
    defer(() => own.stop());
    const prefix = `t-${randomUUID()}`;
    const labels = { hub: '/t' };
    const make = () => {
      const metrics = createRecordingMetrics();
      const manager = new RedisLifetimeManager({ url: own.url, prefix, hubName: 'TestHub', protocols: [countingJson()], maxReconnectDelay: 50, presence: false, metrics, labels });
      defer(() => manager.close());
      return { manager, metrics };
    };
    const [n1, n2] = [make(), make()];
    await Promise.all([n1.manager.ready(), n2.manager.ready()]);
    const b = new FakeConnection('b');
    await n2.manager.onConnected(b);
    await n1.manager.send({ kind: 'all' }, hello('x'));
    await b.received('x');
    assert.equal(n1.metrics.count('backplanePublished', labels), 1);
    assert.equal(n2.metrics.count('backplaneReceived', labels), 1);
    assert.equal(n2.metrics.sum('fanOut', labels), 1);
    const states = () => n1.metrics.gauge('redisConnected', labels).map((entry) => `${entry.labels['kind']}=${entry.value}`);
    assert.deepEqual(states(), ['publisher=1', 'subscriber=1']);
    await own.stop();
    await untilAsync(() => states().join() === 'publisher=0,subscriber=0', 5000, 'both connections to be reported down');
    await own.restart();
    await untilAsync(() => states().join() === 'publisher=1,subscriber=1', 10_000, 'both connections to be reported up');
    await n1.manager.close();
    assert.equal(n1.metrics.observers('redisConnected'), 0, 'close unregisters the gauge');
  });
});
