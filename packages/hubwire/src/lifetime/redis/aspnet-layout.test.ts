/**
 * What the ASP.NET layout does beyond the conformance suite (aspnet-conformance.test.ts) and the
 * hand-played .NET server (test/e2e/redis-aspnet-peer.test.ts): local recipients served when the
 * node's own publication comes back (so they wait for Redis), a Redis outage, foreign messages,
 * and client results whose timeout and cancel stay on the caller's side, as in ASP.NET.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { HubError, HubwireError } from '../../core/errors.js';
import { cleanupsAfterEach, hello, managerNode, numsub, redisClient, twoNodesIntoOutage, untilAsync, type ManagerNode } from '../../../../../test/support/redis-manager.js';
import { OwnRedisServer } from '../../../../../test/support/redis-server.js';
import { FakeConnection } from '../conformance/fake-connection.js';
import type { ClientResultOptions } from '../hub-lifetime-manager.js';
import type { RedisLifetimeManagerOptions } from './redis-lifetime-manager.js';

const sharedUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const defer = cleanupsAfterEach();
const redis = (url = sharedUrl) => redisClient(defer, url);

/** A node of hub type `P` (a fresh one per test keeps parallel tests apart). */
async function node(P: string, options: RedisLifetimeManagerOptions = {}): Promise<ManagerNode> {
  const made = managerNode(defer, { url: sharedUrl, presence: false, ...options, layout: 'aspnet', channelPrefix: () => P });
  await made.manager.ready();
  return made;
}

const hubType = () => `Tests.H${randomUUID().replaceAll('-', '')}.TestHub`;

describe("RedisLifetimeManager, ASP.NET's layout", () => {
  test('the sending node serves its own connections when its publication comes back, and send() resolves then', async () => {
    const own = await OwnRedisServer.start();
    defer(() => own.stop());
    const { manager } = await node(hubType(), { url: own.url });
    const a = new FakeConnection('a');
    await manager.onConnected(a);
    // Redis holds every PUBLISH for a while: the local connection waits with it.
    const admin = await redis(own.url);
    await admin.sendCommand(['CLIENT', 'PAUSE', '300', 'WRITE']);
    const started = Date.now();
    let resolved = false;
    const sending = manager.send({ kind: 'all' }, hello('m')).then(() => (resolved = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual([a.count('m'), resolved], [0, false], 'nothing is delivered before Redis passes the message on');
    await sending;
    assert.equal(a.count('m'), 1, 'delivered by the time send() resolves');
    assert.ok(Date.now() - started >= 250, `send() took ${Date.now() - started} ms`);
    // A single local connection (Clients.Client(id)) is written directly, as ASP.NET does.
    await admin.sendCommand(['CLIENT', 'PAUSE', '300', 'WRITE']);
    await manager.send({ kind: 'connections', ids: ['a'] }, hello('direct'));
    assert.equal(a.count('direct'), 1);
  });

  test('Redis outage: local delivery goes on (served directly), failures are counted, recovery by itself', async () => {
    const P = hubType();
    const { own, n1, a, b } = await twoNodesIntoOutage(defer, (options) => node(P, options));
    await assert.rejects(n1.manager.addToGroup('b', 'late'), { code: 'HUB_ERR_BACKPLANE' });

    await own.restart();
    const probe = await redis(own.url);
    await untilAsync(async () => (await numsub(probe, `${P}:group:g`)) === 2, 10_000, 'both nodes to resubscribe to the group');
    await untilAsync(async () => (await numsub(probe, `${P}:internal:groups`)) === 2, 5000, 'the group-command channel');
    await n1.manager.send({ kind: 'groups', names: ['g'] }, hello('after'));
    await b.received('after');
    assert.equal(a.count('after'), 1, 'once: served from its copy again, not directly as well');
    await n1.manager.addToGroup('b', 'again');
    assert.equal(b.count('during'), 0);
  });

  test('a message in another layout is dropped with a warning; delivery goes on', async () => {
    const P = hubType();
    const [n1, n2] = [await node(P), await node(P)];
    const b = new FakeConnection('b');
    await n2.manager.onConnected(b);
    const probe = await redis();
    await probe.publish(`${P}:all`, 'not ours');
    await probe.publish(`${P}:internal:groups`, Buffer.from([0x94, 0x01, 0xa1, 0x73, 0x01, 0xa1, 0x67]));
    await n1.manager.send({ kind: 'all' }, hello('after'));
    await b.received('after');
    assert.deepEqual(n2.warnings, ['Dropped a Redis message that is not an ASP.NET backplane message', 'Dropped a Redis message that is not an ASP.NET backplane message']);
  });

  test('client results: the timeout and the cancel stay on the caller, as ASP.NET; the owner\'s call lives with its connection', async () => {
    const P = hubType();
    const [n1, n2] = [await node(P), await node(P)];
    const calls: ClientResultOptions[] = [];
    const silent = new FakeConnection('b');
    silent.invokeClient = (_target: string, _args: readonly unknown[], options: ClientResultOptions) => {
      calls.push(options);
      return new Promise(() => undefined);
    };
    await n2.manager.onConnected(silent);
    const started = Date.now();
    await assert.rejects(n1.manager.invokeConnection('b', 'ask', [], { timeout: 100 }), { code: 'HUB_ERR_CLIENT_RESULT', message: 'Client result timed out after 100 ms.' });
    assert.ok(Date.now() - started < 1000, 'no grace for a remote node: the caller decides');
    const controller = new AbortController();
    const call = n1.manager.invokeConnection('b', 'ask', [], { signal: controller.signal });
    await untilAsync(() => calls.length === 2, 5000, 'the call to reach node two');
    controller.abort();
    await assert.rejects(call, { code: 'HUB_ERR_CLIENT_RESULT', message: 'Invocation canceled by the server.' });
    assert.deepEqual(calls, [{}, {}], 'neither timeout nor signal crosses servers');
  });

  test('client results: an error answer and an owner that disconnects come back as HubErrors', async () => {
    const P = hubType();
    const [n1, n2] = [await node(P), await node(P)];
    const owner = new FakeConnection('b');
    let release: ((reason: Error) => void) | undefined;
    owner.invokeClient = async (target: string, args: readonly unknown[]) => {
      if (target === 'fail') throw new HubError('no way');
      if (target === 'hang') return new Promise((_resolve, reject) => (release = reject));
      return { echoed: args };
    };
    await n2.manager.onConnected(owner);
    assert.deepEqual(await n1.manager.invokeConnection('b', 'ask', [1, 'two'], {}), { echoed: [1, 'two'] });
    await assert.rejects(n1.manager.invokeConnection('b', 'fail', [], {}), (error: unknown) => error instanceof HubError && error.message === 'no way');
    const hanging = n1.manager.invokeConnection('b', 'hang', [], {});
    await untilAsync(() => release !== undefined, 5000, 'the call to reach node two');
    await n2.manager.onDisconnected(owner);
    release!(new HubwireError('HUB_ERR_CLIENT_RESULT', "Connection 'b' disconnected."));
    await assert.rejects(hanging, (error: unknown) => error instanceof HubError && error.message === 'Connection disconnected.');
  });

  test('a send to several groups is one publication per group: a member of two gets two, on every node', async () => {
    const P = hubType();
    const probe = await redis();
    const seen: string[] = [];
    const listener = probe.duplicate();
    await listener.connect();
    defer(async () => listener.destroy());
    await listener.pSubscribe(`${P}:group:*`, (_message, channel) => seen.push(channel));
    const [n1, n2] = [await node(P), await node(P)];
    const a = new FakeConnection('a');
    await n2.manager.onConnected(a);
    await n2.manager.addToGroup('a', 'g1');
    await n2.manager.addToGroup('a', 'g2');
    await n1.manager.send({ kind: 'groups', names: ['g1', 'g2', 'g1'] }, hello('m'));
    await a.received('m', 2);
    await untilAsync(() => seen.length === 2, 5000, 'the publications');
    assert.deepEqual(seen.sort(), [`${P}:group:g1`, `${P}:group:g2`]);
  });
});
