/**
 * Two HubServers sharing Redis, the official client on each: broadcast, group and user sends from
 * one node reach clients on the other (JSON and MessagePack clients alike), a hub method awaits a
 * client result from a client on the other node, and a Redis restart
 * (a redis-server of this test's own, never the shared one) leaves local delivery unaffected and
 * heals by itself.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { CounterMetrics } from 'hubwire';
import { checkCrossNodeSends, e2eScope, probeUntilDelivered, ScaleHub, startClient, startRedisNode } from '../support/redis-e2e.js';
import { OwnRedisServer } from '../support/redis-server.js';
import type { TestServer } from '../support/test-server.js';
import { until } from '../support/wait.js';

const scope = e2eScope();

async function node(url: string, prefix: string): Promise<TestServer> {
  return (await startRedisNode(scope, ScaleHub, { url, prefix })).server;
}

const client = (server: TestServer, options: { user?: string; messagepack?: boolean } = {}) => startClient(scope, server, options);

describe('Redis backplane, end to end', () => {
  test('broadcast, group and user sends from one node reach clients on the other', async () => {
    const prefix = `e2e-${randomUUID()}`;
    const [one, two] = [await node('redis://127.0.0.1:6379', prefix), await node('redis://127.0.0.1:6379', prefix)];
    await checkCrossNodeSends(scope, one, two);
  });

  test('client results: a hub method on one node awaits the answer of a client on the other', async () => {
    const prefix = `e2e-${randomUUID()}`;
    const [one, two] = [await node('redis://127.0.0.1:6379', prefix), await node('redis://127.0.0.1:6379', prefix)];
    const a = await client(one);
    const b = await client(two, { messagepack: true });
    b.connection.on('Ask', (question: string) => `${question}? 42`);
    const bId = (await b.invoke('whoAmI')) as string;
    assert.equal(await a.invoke('ask', bId, 'answer'), 'answer? 42');
    // A client without a handler answers with an error; the hub method's caller sees it fail.
    const c = await client(two);
    const cId = (await c.invoke('whoAmI')) as string;
    await assert.rejects(a.invoke('ask', cId, 'anyone'), /An unexpected error occurred invoking 'ask' on the server/);
  });

  test('a Redis restart: local delivery goes on, and the nodes recover by themselves', async () => {
    const own = await OwnRedisServer.start();
    scope.defer(() => own.stop());
    const prefix = `e2e-${randomUUID()}`;
    const [one, two] = [await node(own.url, prefix), await node(own.url, prefix)];
    const a = await client(one);
    const a2 = await client(one);
    const b = await client(two);
    await b.invoke('join', 'room');
    await a.invoke('toAll', 'before');
    await until(() => [a, a2, b].every((x) => x.inbox.has('before')), 5000, 'before the outage');

    await own.stop();
    await a.invoke('toAll', 'during');
    await until(() => a.inbox.has('during') && a2.inbox.has('during'), 5000, 'local delivery during the outage');
    assert.ok(((one.hubwire.metrics as CounterMetrics).totals().backplanePublishFailures ?? 0) >= 1);

    await own.restart();
    // Nothing is done to the nodes: they reconnect and resubscribe on their own.
    await probeUntilDelivered(a, b, 'room');
    await a.invoke('toAll', 'after');
    await until(() => [a, a2, b].every((x) => x.inbox.has('after')), 5000, 'after the outage');
    assert.deepEqual(b.inbox.messages, ['before', 'after']);
    assert.equal(a.connection.state, 'Connected');
    assert.equal(b.connection.state, 'Connected');
  });
});
