/**
 * Two HubServers on a Redis Cluster (three shards of this file's own, sharded pub/sub), the
 * official client on each: broadcast, group and user sends and a hub-context group add cross
 * nodes for JSON and MessagePack clients, a hub method awaits a client result from the other
 * node, and a shard killed and restarted under them heals by itself.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { Hub, jsonHubProtocol, messagePackHubProtocol, redisLifetimeManager, type CounterMetrics } from 'hubwire';
import { Inbox, stopAll } from '../support/e2e.js';
import { OwnRedisCluster } from '../support/redis-cluster.js';
import { clientFor, type signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';

interface Client {
  msg(text: string): void;
}

class ClusterHub extends Hub<Client> {
  async join(group: string): Promise<void> {
    await this.groups.add(this.context.connectionId, group);
  }
  whoAmI(): string {
    return this.context.connectionId;
  }
  async ask(connectionId: string, question: string): Promise<unknown> {
    return this.clients.client(connectionId).invoke('Ask', question);
  }
  async toAll(text: string): Promise<void> {
    await this.clients.all.msg(text);
  }
  async toGroup(group: string, text: string): Promise<void> {
    await this.clients.group(group).msg(text);
  }
  async toUser(user: string, text: string): Promise<void> {
    await this.clients.user(user).msg(text);
  }
}

let cluster: OwnRedisCluster;
before(async () => {
  cluster = await OwnRedisCluster.start();
});
after(async () => {
  await cluster?.stop();
});

let cleanups: (() => Promise<unknown>)[] = [];
const open = new Set<signalR.HubConnection>();
afterEach(async () => {
  await stopAll(open);
  open.clear();
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function node(prefix: string): Promise<TestServer> {
  const backplane = redisLifetimeManager({ cluster: { rootNodes: cluster.rootNodes }, prefix, maxReconnectDelay: 100 });
  const server = await startTestServer((hw) => hw.mapHub('/hub', ClusterHub, { protocols: [jsonHubProtocol, messagePackHubProtocol] }), {
    lifetimeManager: backplane,
    authenticate: (req) => {
      const user = req.query.get('user');
      return user === null ? undefined : { userIdentifier: user, claims: { name: user } };
    },
  });
  cleanups.push(() => within(server.close(), 5000, 'server close'));
  await within(backplane.ready(), 5000, 'backplane ready');
  return server;
}

async function client(server: TestServer, options: { user?: string; messagepack?: boolean } = {}) {
  const query = options.user === undefined ? '' : `?user=${options.user}`;
  const builder = clientFor(server.url(`/hub${query}`), { skipNegotiation: true, transport: 1 });
  if (options.messagepack) builder.withHubProtocol(new MessagePackHubProtocol());
  const connection = builder.build();
  const inbox = new Inbox(connection, 'msg');
  await within(connection.start(), 5000, 'client start');
  open.add(connection);
  return { connection, inbox, invoke: (method: string, ...args: unknown[]) => within(connection.invoke(method, ...args), 5000, method) };
}

describe('Redis Cluster backplane, end to end', () => {
  test('broadcast, group and user sends from one node reach clients on the other', async () => {
    const prefix = `e2e-${randomUUID()}`;
    const [one, two] = [await node(prefix), await node(prefix)];
    const a = await client(one, { user: 'alice' });
    const b = await client(two, { user: 'alice', messagepack: true });
    const c = await client(two, { user: 'bob' });

    await a.invoke('toAll', 'hello all');
    await until(() => [a, b, c].every((x) => x.inbox.has('hello all')), 5000, 'broadcast on both nodes');

    await c.invoke('join', 'room');
    await a.invoke('toGroup', 'room', 'hello room');
    await until(() => c.inbox.has('hello room'), 5000, 'group send across nodes');

    const bId = (await b.invoke('whoAmI')) as string;
    await within(one.hubwire.hubContext(ClusterHub).groups.add(bId, 'room'));
    await one.hubwire.hubContext(ClusterHub).clients.group('room').msg('room again');
    await until(() => b.inbox.has('room again') && c.inbox.has('room again'), 5000, 'remote group add');

    await c.invoke('toUser', 'alice', 'hello alice');
    await until(() => a.inbox.has('hello alice') && b.inbox.has('hello alice'), 5000, 'user on both nodes');
    await a.invoke('toAll', 'marker:end');
    await until(() => [a, b, c].every((x) => x.inbox.has('marker:end')), 5000, 'marker');
    assert.deepEqual(a.inbox.messages, ['hello all', 'hello alice']);
    assert.deepEqual(b.inbox.messages, ['hello all', 'room again', 'hello alice']);
    assert.deepEqual(c.inbox.messages, ['hello all', 'hello room', 'room again']);
  });

  test('client results: a hub method on one node awaits the answer of a client on the other', async () => {
    const prefix = `e2e-${randomUUID()}`;
    const [one, two] = [await node(prefix), await node(prefix)];
    const a = await client(one);
    const b = await client(two, { messagepack: true });
    b.connection.on('Ask', (question: string) => `${question}? 42`);
    const bId = (await b.invoke('whoAmI')) as string;
    assert.equal(await a.invoke('ask', bId, 'answer'), 'answer? 42');
    await assert.rejects(a.invoke('ask', 'nowhere', 'anyone'), /An unexpected error occurred invoking 'ask' on the server/);
  });

  test('the shard of a group killed and restarted: local delivery goes on, the nodes recover by themselves', async () => {
    const prefix = `e2e-${randomUUID()}`;
    const [one, two] = [await node(prefix), await node(prefix)];
    const a = await client(one);
    const a2 = await client(one);
    const b = await client(two);
    await a.invoke('join', 'room');
    await a2.invoke('join', 'room');
    await b.invoke('join', 'room');
    await a.invoke('toGroup', 'room', 'before');
    await until(() => [a, a2, b].every((x) => x.inbox.has('before')), 5000, 'before the outage');

    const shard = await cluster.shardOf(`${prefix}:ClusterHub:group:room`);
    await cluster.kill(shard);
    try {
      await a.invoke('toGroup', 'room', 'during');
      await until(() => a.inbox.has('during') && a2.inbox.has('during'), 5000, 'local delivery during the outage');
      assert.ok(((one.hubwire.metrics as CounterMetrics).totals().backplanePublishFailures ?? 0) >= 1);
    } finally {
      await cluster.restart(shard);
    }
    let probes = 0;
    let lastProbe = 0;
    await until(
      () => {
        if (b.inbox.has(`marker:${probes}`)) return true;
        // A probe every 100 ms until one arrives: the first may still find the shard away.
        if (Date.now() - lastProbe >= 100) {
          lastProbe = Date.now();
          void a.invoke('toGroup', 'room', `marker:${++probes}`).catch(() => undefined);
        }
        return false;
      },
      10_000,
      'a group send to reach node two again',
    );
    assert.deepEqual(b.inbox.messages, ['before']);
    assert.equal(a.connection.state, 'Connected');
    assert.equal(b.connection.state, 'Connected');
  });
});
