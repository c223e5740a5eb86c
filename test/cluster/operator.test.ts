/**
 * The operator API on two nodes sharing a Redis: node A's overview counts the connections of
 * both (presence for the totals, the operator registry for the transport and protocol split and
 * the node list), its user view describes a connection on B, its disconnect closes one on B,
 * and a node that stops shows as not alive.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { createClient } from '@redis/client';
import { within } from '../support/wait.js';
import { signalR, startTestApp, type TestApp } from '../server/support.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}: ${JSON.stringify(value).slice(0, 600)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function deleteKeys(prefix: string): Promise<void> {
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  try {
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) if (keys.length > 0) await redis.del(keys);
  } finally {
    redis.destroy();
  }
}

describe('operator API across two nodes on Redis', () => {
  const prefix = `hubwire-test-${randomUUID()}`;
  const env = { REDIS_URL, REDIS_PREFIX: prefix, REDIS_HEARTBEAT_MS: '100', REST_RATE_LIMIT_PER_SECOND: '0' };
  let a: TestApp;
  let b: TestApp;
  let admin: string;

  before(async () => {
    a = await startTestApp(env);
    b = await startTestApp(env);
    admin = await a.token('admin');
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await deleteKeys(prefix);
  });

  test("A's overview counts B's connections, split by transport and protocol, and lists both nodes", async () => {
    const jane = await b.token('jane.smith');
    await b.connect('/hubs/chat', { token: jane, transport: signalR.HttpTransportType.WebSockets });
    await b.connect('/hubs/chat', { token: jane, transport: signalR.HttpTransportType.LongPolling, configure: (builder) => builder.withHubProtocol(new MessagePackHubProtocol()) });
    await a.connect('/hubs/chat', { token: await a.token('john.doe'), transport: signalR.HttpTransportType.ServerSentEvents });
    const overview = await eventually(
      async () => (await a.request('GET', '/api/operator/overview', { token: admin })).body,
      (body) => body.hubs.find((hub: { hub: string }) => hub.hub === 'chat')?.byProtocol.messagepack === 1 && body.nodes.length === 2,
      "B's connections in A's figures",
    );
    assert.equal(overview.scope, 'cluster');
    assert.equal(overview.nodeId, a.app.cluster!.nodeId);
    const chat = overview.hubs.find((hub: { hub: string }) => hub.hub === 'chat');
    assert.equal(chat.connections, 3, 'presence over both nodes');
    assert.deepEqual(chat.byTransport, { web_sockets: 1, server_sent_events: 1, long_polling: 1 });
    assert.deepEqual(chat.byProtocol, { json: 2, messagepack: 1 });
    const nodes = Object.fromEntries(overview.nodes.map((node: { nodeId: string }) => [node.nodeId, node]));
    assert.deepEqual([nodes[a.app.cluster!.nodeId].alive, nodes[a.app.cluster!.nodeId].connections, nodes[a.app.cluster!.nodeId].url], [true, 1, a.app.url]);
    assert.deepEqual([nodes[b.app.cluster!.nodeId].alive, nodes[b.app.cluster!.nodeId].connections, nodes[b.app.cluster!.nodeId].url], [true, 2, b.app.url]);
  });

  test("from A: a user's connection on B is described, gets a test message and is disconnected", async () => {
    const user = await b.token('jane.smith');
    const onB = await b.connect('/hubs/chat', { token: user });
    await within(onB.invoke('JoinWorkflow', 'ops'), 5000, 'join');
    const described = await eventually(
      async () => (await a.request('GET', '/api/operator/users/jane.smith/connections', { token: admin })).body,
      (body) => body.connections.some((connection: { connectionId: string }) => connection.connectionId === onB.connectionId),
      'the connection on B',
    );
    const onBFacts = described.connections.find((connection: { connectionId: string }) => connection.connectionId === onB.connectionId);
    assert.deepEqual([onBFacts.nodeId, onBFacts.transport, onBFacts.protocol, onBFacts.groups], [b.app.cluster!.nodeId, 'web_sockets', 'json', ['workflow:ops']]);
    assert.ok(Math.abs(Date.parse(onBFacts.connectedAt) - Date.now()) < 60_000);

    const group = (await a.request('GET', '/api/operator/hubs/chat/groups/workflow%3Aops', { token: admin })).body;
    assert.deepEqual(group.connections.items, [{ connectionId: onB.connectionId, userId: 'jane.smith', nodeId: b.app.cluster!.nodeId }]);
    assert.ok((await a.request('GET', '/api/operator/hubs/chat/groups', { token: admin })).body.groups.items.some((item: { group: string }) => item.group === 'workflow:ops'));

    const received = new Promise<unknown[]>((resolve) => onB.on('OperatorTest', (...args: unknown[]) => resolve(args)));
    const sent = await a.request('POST', '/api/operator/hubs/chat/send', { token: admin, body: { target: { connection: onB.connectionId }, method: 'OperatorTest', args: ['from A'] } });
    assert.equal(sent.status, 202);
    assert.deepEqual(await within(received, 5000, 'the test message on B'), ['from A']);

    const closed = new Promise<Error | undefined>((resolve) => onB.onclose(resolve));
    const answer = await a.request('DELETE', `/api/operator/hubs/chat/connections/${onB.connectionId}?reason=ops`, { token: admin });
    assert.equal(answer.status, 200);
    assert.equal(await within(closed, 5000, 'the close on B'), undefined);
    assert.equal((await a.request('DELETE', `/api/operator/hubs/chat/connections/${onB.connectionId}`, { token: admin })).status, 404);
  });

  test('a node that stops is listed as not alive, with when it was last seen', async () => {
    const bId = b.app.cluster!.nodeId;
    await eventually(async () => (await a.request('GET', '/api/operator/overview', { token: admin })).body, (body) => body.nodes.some((node: { nodeId: string; alive: boolean }) => node.nodeId === bId && node.alive), 'B alive');
    await b.stop();
    const overview = (await a.request('GET', '/api/operator/overview', { token: admin })).body;
    const gone = overview.nodes.find((node: { nodeId: string }) => node.nodeId === bId);
    assert.equal(gone.alive, false, 'B said goodbye');
    assert.equal(gone.connections, 0);
    assert.ok(Date.now() - Date.parse(gone.lastSeen) < 10_000, `last seen ${gone.lastSeen}`);
    assert.deepEqual(overview.nodes.filter((node: { alive: boolean }) => node.alive).map((node: { nodeId: string }) => node.nodeId), [a.app.cluster!.nodeId]);
    const chat = overview.hubs.find((hub: { hub: string }) => hub.hub === 'chat');
    assert.equal(chat.connections, a.app.hubwire.connectionCount('/hubs/chat'));
  });
});
