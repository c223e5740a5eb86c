/**
 * What only Redis presence does (the shared answers are in the conformance suite): what a write
 * and a heartbeat cost, `presence: false`, a node killed with SIGKILL, several nodes reaping one
 * dead node at once, a write lost while Redis kept its state, and a Redis restart.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, test } from 'node:test';
import { createClient } from '@redis/client';
import { createCounterMetrics } from '../../core/metrics.js';
import { MessageType } from '../../protocol/messages.js';
import { OwnRedisServer } from '../../../../../test/support/redis-server.js';
import { countingJson, FakeConnection } from '../conformance/fake-connection.js';
import { MemoryLifetimeManager } from '../memory/memory-lifetime-manager.js';
import { openConnections, type BackplaneConnections } from './redis-clients.js';
import { RedisLifetimeManager, type RedisLifetimeManagerOptions } from './redis-lifetime-manager.js';
import { RedisPresence } from './redis-presence.js';

const sharedUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const fast = { heartbeatInterval: 100, nodeTtl: 500 };

let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function manager(prefix: string, options: RedisLifetimeManagerOptions = {}, logs: string[] = [], metrics = createCounterMetrics()): Promise<RedisLifetimeManager> {
  const log = (_fields: object, text: string) => void logs.push(text);
  const logger = { debug: () => undefined, info: log, warn: log, error: log };
  const made = new RedisLifetimeManager({ url: sharedUrl, presence: fast, ...options, prefix, hubName: 'TestHub', protocols: [countingJson()], metrics, logger });
  cleanups.push(() => made.close());
  await made.ready();
  return made;
}

/** Redis connections whose commands are counted by operation, and can be cut (every command fails) to play a dead or cut-off node. */
function counted(url = sharedUrl) {
  const redis = openConnections({ url, maxReconnectDelay: 100 }, { onError: () => undefined, onReady: () => undefined, onSubscriberReady: () => undefined });
  cleanups.push(() => redis.close());
  const ops = new Map<string, number>();
  const wrapper = {
    cut: false,
    ops,
    /** Commands other than heartbeats since the last reset. */
    get writes() {
      return [...ops].filter(([op]) => op !== 'beat').reduce((sum, [, count]) => sum + count, 0);
    },
    command(args: readonly (string | Buffer)[]): Promise<unknown> {
      if (wrapper.cut) return Promise.reject(new Error('cut off from Redis'));
      const op = args[0] === 'EVALSHA' || args[0] === 'EVAL' ? String(args[4]) : String(args[0]);
      ops.set(op, (ops.get(op) ?? 0) + 1);
      return redis.command(args);
    },
  } satisfies Pick<BackplaneConnections, 'command'> & Record<string, unknown>;
  return { redis, wrapper };
}

/** A RedisPresence over `counted()` connections, with its own local index. */
async function presenceNode(prefix: string, nodeId: string, options = fast) {
  const { redis, wrapper } = counted();
  const local = new MemoryLifetimeManager();
  const presence = new RedisPresence({ ...options, redis: wrapper, keyPrefix: `${prefix}:{TestHub}`, nodeId, connected: redis.ready(), local, onFailure: () => undefined, onRecovered: () => undefined });
  cleanups.push(() => presence.close());
  await presence.ready();
  const connect = async (id: string, user?: string) => {
    const connection = new FakeConnection(id, user);
    await local.onConnected(connection);
    await presence.connected(connection);
    return connection;
  };
  const join = async (id: string, group: string) => {
    await local.addToGroup(id, group);
    await presence.added(id, group);
  };
  return { presence, local, wrapper, connect, join };
}

async function probe(url = sharedUrl) {
  const client = createClient({ url });
  await client.connect();
  cleanups.push(async () => client.destroy());
  return client;
}

async function keysOf(client: Awaited<ReturnType<typeof probe>>, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of client.scanIterator({ MATCH: `${prefix}:{TestHub}:*`, COUNT: 1000 })) keys.push(...batch);
  return keys.sort();
}

async function until(condition: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Redis presence', () => {
  test('a connect, a disconnect and each group change cost one command; a heartbeat costs one however many connections', async () => {
    const prefix = `t-${randomUUID()}`;
    const node = await presenceNode(prefix, 'n1');
    node.wrapper.ops.clear();
    const a = await node.connect('a', 'alice');
    await node.join('a', 'room');
    await node.local.removeFromGroup('a', 'room');
    await node.presence.removed('a', 'room');
    await node.local.onDisconnected(a);
    await node.presence.disconnected('a');
    assert.deepEqual(Object.fromEntries(node.wrapper.ops), { connect: 1, add: 1, remove: 1, disconnect: 1 });

    const idleCost = async () => {
      node.wrapper.ops.clear();
      await until(async () => (node.wrapper.ops.get('beat') ?? 0) >= 4, 5000, 'four heartbeats');
      return { beats: node.wrapper.ops.get('beat')!, others: node.wrapper.writes };
    };
    const empty = await idleCost();
    for (let i = 0; i < 300; i++) {
      await node.connect(`c-${i}`, `u-${i}`);
      await node.join(`c-${i}`, `g-${i % 7}`);
    }
    const full = await idleCost();
    assert.deepEqual([empty.others, full.others], [0, 0], 'heartbeats do nothing per connection');
    assert.equal(await node.presence.connectionCount(), 300);
  });

  test('presence: false writes nothing to Redis, and questions throw HUB_ERR_PRESENCE_DISABLED', async () => {
    const prefix = `t-${randomUUID()}`;
    const off = await manager(prefix, { presence: false });
    await off.onConnected(new FakeConnection('a', 'alice'));
    await off.addToGroup('a', 'room');
    assert.deepEqual(await keysOf(await probe(), prefix), []);
    await assert.rejects(off.presence.groupConnectionCount('room'), { code: 'HUB_ERR_PRESENCE_DISABLED', message: /switched off for hub 'TestHub'/ });
    await assert.rejects(off.presence.nodes(), { code: 'HUB_ERR_PRESENCE_DISABLED' });
  });

  test('every presence key is under the prefix: a Redis user limited to ~<prefix>:* keys and channels runs it', async () => {
    const prefix = `t-${randomUUID()}`;
    const admin = await probe();
    const name = `presence-${randomUUID()}`;
    await admin.sendCommand(['ACL', 'SETUSER', name, 'on', '>secret', 'resetkeys', `~${prefix}:*`, 'resetchannels', `&${prefix}:*`, '+@all']);
    cleanups.push(() => admin.sendCommand(['ACL', 'DELUSER', name]));
    const url = new URL(sharedUrl);
    url.username = name;
    url.password = 'secret';
    const logs: string[] = [];
    const [n1, n2] = [await manager(prefix, { url: url.toString() }, logs), await manager(prefix, { url: url.toString() }, logs)];
    await n1.onConnected(new FakeConnection('a', 'alice'));
    await n1.addToGroup('a', 'room');
    assert.deepEqual((await n2.presence.groupUsers('room')).items, ['alice']);
    assert.deepEqual(logs, []);
    assert.ok((await keysOf(admin, prefix)).length > 0);
  });

  test('a node TTL not longer than the heartbeat is refused', async () => {
    const { redis } = counted();
    // Connected first: a client destroyed while it connects goes on trying.
    await redis.ready();
    const local = new MemoryLifetimeManager();
    assert.throws(
      () => new RedisPresence({ heartbeatInterval: 1000, nodeTtl: 1000, redis, keyPrefix: 'x:{y}', nodeId: 'n', connected: redis.ready(), local, onFailure: () => undefined, onRecovered: () => undefined }),
      { code: 'HUB_ERR_INVALID_OPTION' },
    );
  });

  test('a node killed with SIGKILL drops out of every answer within its node TTL', async (t) => {
    const prefix = `t-${randomUUID()}`;
    const heartbeatInterval = 200;
    const nodeTtl = 1000;
    const survivor = await manager(prefix, { presence: { heartbeatInterval, nodeTtl } });
    await survivor.onConnected(new FakeConnection('mine', 'me'));
    await survivor.addToGroup('mine', 'room');
    const script = fileURLToPath(new URL('../../../../../test/support/presence-node.ts', import.meta.url));
    const child = spawn(process.execPath, ['--conditions=hubwire-source', '--import', 'tsx', script, sharedUrl, prefix, 'TestHub', String(heartbeatInterval), String(nodeTtl), '40', 'room'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await until(async () => output.includes('\n') || child.exitCode !== null, 20_000, 'the child node to start');
    const { nodeId } = JSON.parse(output) as { nodeId: string };
    const { presence } = survivor;
    assert.equal(await presence.groupConnectionCount('room'), 41);
    assert.deepEqual((await presence.nodes()).map((node) => node.nodeId).sort(), [nodeId, survivor.nodeId].sort());
    assert.equal(await presence.isUserOnline('killed-user-0'), true);

    child.kill('SIGKILL');
    const killed = Date.now();
    await exited;
    const gone = async () =>
      (await presence.groupConnectionCount('room')) === 1 &&
      (await presence.groupUserCount('room')) === 1 &&
      (await presence.connectionCount()) === 1 &&
      !(await presence.isUserOnline('killed-user-0')) &&
      (await presence.nodes()).length === 1;
    await until(gone, nodeTtl + 1000, 'the killed node to drop out');
    const after = Date.now() - killed;
    t.diagnostic(`the killed node was out of every answer ${after} ms after SIGKILL (node TTL ${nodeTtl} ms, heartbeat ${heartbeatInterval} ms)`);
    // Its key was refreshed at most one heartbeat before the kill, so it expires between
    // nodeTtl - heartbeatInterval and nodeTtl after it; the polling adds a few ms.
    assert.ok(after >= nodeTtl - heartbeatInterval - 50, `gone after ${after} ms: too early to be the TTL`);
    assert.ok(after <= nodeTtl + 300, `gone after ${after} ms, more than the node TTL of ${nodeTtl} ms`);
    assert.deepEqual((await presence.groupConnections('room')).items, [{ connectionId: 'mine', userIdentifier: 'me', nodeId: survivor.nodeId }]);
  });

  test('several nodes reaping one dead node at once undo each of its entries once', async () => {
    const prefix = `t-${randomUUID()}`;
    const dead = await presenceNode(prefix, 'dead');
    for (let i = 0; i < 1200; i++) {
      await dead.connect(`d-${i}`, `u-${i % 30}`);
      await dead.join(`d-${i}`, 'g1');
      if (i % 2 === 0) await dead.join(`d-${i}`, 'g2');
    }
    const survivors = [await presenceNode(prefix, 's1'), await presenceNode(prefix, 's2'), await presenceNode(prefix, 's3')];
    // Users the dead node had too: a second undo of one of its entries would take them away.
    await survivors[0]!.connect('s1-a', 'u-0');
    await survivors[0]!.join('s1-a', 'g1');
    await survivors[1]!.connect('s2-a', 'u-1');
    await survivors[1]!.join('s2-a', 'g1');
    await survivors[1]!.join('s2-a', 'g2');
    assert.equal(await survivors[2]!.presence.groupConnectionCount('g1'), 1202);

    dead.wrapper.cut = true;
    // Every survivor's heartbeat and questions reap the node once its key has expired.
    await until(async () => {
      const counts = await Promise.all(survivors.map((node) => node.presence.groupConnectionCount('g1')));
      return counts.every((count) => count === 2);
    }, 5000, 'the dead node to be reaped');
    for (const node of survivors) {
      assert.deepEqual((await node.presence.groupUsers('g1')).items, ['u-0', 'u-1']);
      assert.deepEqual((await node.presence.groupUsers('g2')).items, ['u-1']);
      assert.equal(await node.presence.connectionCount(), 2);
    }
    const client = await probe();
    assert.deepEqual(await client.hGetAll(`${prefix}:{TestHub}:group-refs:g1`), { 'u-0': '1', 'u-1': '1' });
    const left = (await keysOf(client, prefix)).filter((key) => key.includes('dead') || key.includes(':conn:d-') || key.includes(':conn-groups:d-'));
    assert.deepEqual(left, []);
    await survivors[1]!.local.removeFromGroup('s2-a', 'g1');
    await survivors[1]!.presence.removed('s2-a', 'g1');
    assert.deepEqual((await survivors[0]!.presence.groupUsers('g1')).items, ['u-0']);
  });

  test('a write lost while Redis kept its state is repaired by the next heartbeat', async () => {
    const prefix = `t-${randomUUID()}`;
    const node = await presenceNode(prefix, 'n1');
    const other = await presenceNode(prefix, 'n2');
    const a = await node.connect('a', 'alice');
    await node.connect('b', 'bob');
    await node.join('a', 'room');
    await node.join('b', 'room');
    node.wrapper.cut = true;
    // While cut off: a disconnects and b changes groups; Redis still holds the old state.
    await node.local.onDisconnected(a);
    await node.presence.disconnected('a');
    await node.local.removeFromGroup('b', 'room');
    await node.presence.removed('b', 'room');
    await node.join('b', 'side');
    assert.equal(await other.presence.groupConnectionCount('room'), 2, 'the stale state is still there');
    node.wrapper.cut = false;
    await until(
      async () => (await other.presence.groupConnectionCount('room')) === 0 && (await other.presence.groupConnectionCount('side')) === 1,
      3000,
      'the resync',
    );
    assert.equal(await other.presence.isUserOnline('alice'), false);
    assert.deepEqual((await other.presence.userConnections('bob')).map((connection) => connection.connectionId), ['b']);
  });

  test('Redis restarted empty: connects and group changes go on locally meanwhile, and answers are right again without help', async (t) => {
    const own = await OwnRedisServer.start();
    cleanups.push(() => own.stop());
    const prefix = `t-${randomUUID()}`;
    const options = { url: own.url, maxReconnectDelay: 100, presence: { heartbeatInterval: 200, nodeTtl: 1000 } };
    const logs: string[] = [];
    const metrics = createCounterMetrics();
    const [n1, n2] = [await manager(prefix, options, logs, metrics), await manager(prefix, options)];
    const a = new FakeConnection('a', 'alice');
    await n1.onConnected(a);
    await n2.onConnected(new FakeConnection('b', 'bob'));
    await n1.addToGroup('a', 'room');
    await n2.addToGroup('b', 'room');
    assert.equal(await n2.presence.groupConnectionCount('room'), 2);

    await own.stop();
    const c = new FakeConnection('c', 'carol');
    await n1.onConnected(c);
    await n1.addToGroup('c', 'room');
    await n1.removeFromGroup('a', 'room');
    await n1.addToGroup('a', 'side');
    await n1.send({ kind: 'groups', names: ['room'] }, { type: MessageType.Invocation, target: 'during', arguments: [] });
    assert.deepEqual([a.count('during'), c.count('during')], [0, 1], 'local delivery follows the changes made during the outage');
    await assert.rejects(n2.presence.groupConnectionCount('room'), { code: 'HUB_ERR_BACKPLANE' });

    await own.restart();
    const restarted = Date.now();
    const right = async (presence: RedisLifetimeManager['presence']) =>
      JSON.stringify([
        (await presence.groupConnections('room')).items.map((item) => item.connectionId),
        (await presence.groupUsers('room')).items,
        (await presence.groupConnections('side')).items.map((item) => item.connectionId),
        await presence.connectionCount(),
        (await presence.nodes()).length,
      ]) === JSON.stringify([['b', 'c'], ['bob', 'carol'], ['a'], 3, 2]);
    await until(async () => (await right(n2.presence).catch(() => false)) && (await right(n1.presence).catch(() => false)), 10_000, 'presence to be right again');
    t.diagnostic(`answers were right again ${Date.now() - restarted} ms after Redis answered again (heartbeat 200 ms)`);
    const presenceLines = logs.filter((text) => text.startsWith('Redis presence'));
    assert.deepEqual(presenceLines, ['Redis presence could not be written; answers may miss this node until Redis takes its state again', 'Redis presence is written again'], 'one warning per outage, one line when it is over');
    assert.equal(metrics.totals().presenceWriteFailures, 4, 'the connect and the three group changes made during the outage');
  });
});
