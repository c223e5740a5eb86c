/**
 * HubFilter.onGroupChange on real servers with the official client: joins and leaves from hub
 * methods and the hub context, once per effective change, on the path that holds the connection,
 * not at disconnect, a throwing filter logged; and on Redis, a change asked on node B for a
 * client on node A told on A only.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, describe, test } from 'node:test';
import { redisClient, untilAsync } from '../../../../test/support/redis-manager.js';
import { clientFor, type signalR } from '../../../../test/support/signalr-client.js';
import { until, within } from '../../../../test/support/wait.js';
import { redisLifetimeManager } from '../lifetime/redis/redis-lifetime-manager-factory.js';
import { createHubServer, type HubServer, type HubServerOptions } from '../server.js';
import type { GroupMembershipChange, HubFilter } from './hub-filter.js';
import { Hub } from './hub.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

class RoomsHub extends Hub {
  async join(group: string) {
    await this.groups.add(this.context.connectionId, group);
  }
  async leave(group: string) {
    await this.groups.remove(this.context.connectionId, group);
  }
  override async onDisconnected() {
    // A hook leaving a group explicitly is a change like any other (only the automatic removal is not).
    if (this.context.request.query.get('leaveOnExit') !== null) await this.groups.remove(this.context.connectionId, 'exit-room');
  }
}

/** A filter recording every change it is told of. */
function watcher(): HubFilter & { changes: GroupMembershipChange[] } {
  const changes: GroupMembershipChange[] = [];
  return { changes, onGroupChange: (change) => void changes.push(change) };
}

const servers: HubServer[] = [];
const clients: signalR.HubConnection[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.stop()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: HubServerOptions, map: (server: HubServer) => void): Promise<{ server: HubServer; at: (path: string) => string }> {
  const server = createHubServer({
    shutdownTimeout: 1000,
    authenticate: (request) => {
      const user = request.query.get('user');
      return user === null ? undefined : { userIdentifier: user, claims: {} };
    },
    ...options,
  });
  map(server);
  servers.push(server);
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  return { server, at: (path) => `http://127.0.0.1:${port}${path}` };
}

async function connect(at: string): Promise<signalR.HubConnection> {
  const connection = clientFor(at, { transport: 1 }).build();
  clients.push(connection);
  await within(connection.start(), 5000, 'client start');
  return connection;
}

const brief = (changes: readonly GroupMembershipChange[]) => changes.map((change) => `${change.hubPath} ${change.connectionId} ${change.change} ${change.group}`);

describe('HubFilter.onGroupChange in one process', () => {
  test('hub methods and the hub context: one event per effective change, with the user, to server and hub filters', async () => {
    const [global, local] = [watcher(), watcher()];
    const { server, at } = await serve({ filters: [global] }, (hw) => hw.mapHub('/rooms', RoomsHub, { filters: [local] }));
    const client = await connect(at('/rooms?user=ann'));
    const id = client.connectionId!;
    await client.invoke('join', 'lobby');
    await client.invoke('join', 'lobby');
    await server.hubContext(RoomsHub).groups.add(id, 'news');
    await client.invoke('leave', 'lobby');
    await client.invoke('leave', 'lobby');
    await server.hubContext(RoomsHub).groups.remove(id, 'nowhere');
    const expected = [`/rooms ${id} joined lobby`, `/rooms ${id} joined news`, `/rooms ${id} left lobby`];
    assert.deepEqual(brief(global.changes), expected);
    assert.deepEqual(brief(local.changes), expected);
    assert.deepEqual(global.changes[0], { hubPath: '/rooms', hubName: 'RoomsHub', connectionId: id, userIdentifier: 'ann', group: 'lobby', change: 'joined' });
  });

  test('not told at disconnect for the automatic removal; a hook leaving explicitly is told', async () => {
    const seen = watcher();
    const { server, at } = await serve({ filters: [seen] }, (hw) => hw.mapHub('/rooms', RoomsHub));
    const plain = await connect(at('/rooms'));
    const leaver = await connect(at('/rooms?leaveOnExit=1'));
    await plain.invoke('join', 'a');
    await plain.invoke('join', 'b');
    await leaver.invoke('join', 'exit-room');
    const [plainId, leaverId] = [plain.connectionId!, leaver.connectionId!];
    await Promise.all([plain.stop(), leaver.stop()]);
    // Both disconnects are over once the lifetime manager has forgotten both connections.
    const presence = server.hubContext(RoomsHub).presence;
    await untilAsync(async () => (await presence.connectionCount()) === 0, 5000, 'both disconnects done');
    assert.equal(await presence.groupConnectionCount('a'), 0);
    const late = await connect(at('/rooms'));
    await late.invoke('join', 'probe');
    assert.deepEqual(brief(seen.changes), [`/rooms ${plainId} joined a`, `/rooms ${plainId} joined b`, `/rooms ${leaverId} joined exit-room`, `/rooms ${leaverId} left exit-room`, `/rooms ${late.connectionId!} joined probe`]);
  });

  test('a class on two paths: the path holding the connection tells its own filters', async () => {
    const [first, second] = [watcher(), watcher()];
    const { server, at } = await serve({}, (hw) => hw.mapHub('/one', RoomsHub, { filters: [first] }).mapHub('/two', RoomsHub, { filters: [second] }));
    const onTwo = await connect(at('/two'));
    await server.hubContext(RoomsHub).groups.add(onTwo.connectionId!, 'shared');
    assert.deepEqual(brief(first.changes), []);
    assert.deepEqual(brief(second.changes), [`/two ${onTwo.connectionId!} joined shared`]);
  });

  test('a throwing or rejecting filter is logged; the join succeeds and later filters are still told', async () => {
    const logged: string[] = [];
    const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (_fields: object, text: string) => void logged.push(text) };
    const later = watcher();
    const throwing: HubFilter = { onGroupChange: () => { throw new Error('boom'); } };
    const rejecting: HubFilter = { onGroupChange: (async () => { throw new Error('async boom'); }) as unknown as HubFilter['onGroupChange'] };
    const { at } = await serve({ logger, filters: [throwing, rejecting, later] }, (hw) => hw.mapHub('/rooms', RoomsHub));
    const client = await connect(at('/rooms'));
    await client.invoke('join', 'g');
    assert.deepEqual(brief(later.changes), [`/rooms ${client.connectionId!} joined g`]);
    await until(() => logged.filter((text) => text === 'onGroupChange threw').length === 2, 5000, 'both failures logged');
  });
});

describe('HubFilter.onGroupChange on a Redis backplane', () => {
  const prefixes: string[] = [];
  after(async () => {
    // Presence is off, so nothing should be left; sweep the prefixes anyway.
    const done: (() => Promise<unknown>)[] = [];
    const client = await redisClient((cleanup) => void done.push(cleanup), url);
    for (const prefix of prefixes) {
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) if (keys.length > 0) await client.del(keys);
    }
    for (const cleanup of done) await cleanup();
  });

  test('a change asked through node B for a client on node A is told once, on A', async () => {
    const prefix = `t-group-events-${randomUUID()}`;
    prefixes.push(prefix);
    const [onA, onB] = [watcher(), watcher()];
    const node = async (filter: HubFilter) => {
      const backplane = redisLifetimeManager({ url, prefix, presence: false, maxReconnectDelay: 100 });
      const served = await serve({ filters: [filter], lifetimeManager: backplane }, (hw) => hw.mapHub('/rooms', RoomsHub));
      await within(backplane.ready(), 5000, 'backplane ready');
      return served;
    };
    const a = await node(onA);
    const b = await node(onB);
    const client = await connect(a.at('/rooms?user=ann'));
    const id = client.connectionId!;
    await b.server.hubContext(RoomsHub).groups.add(id, 'room');
    await b.server.hubContext(RoomsHub).groups.add(id, 'room');
    await client.invoke('join', 'room');
    await b.server.hubContext(RoomsHub).groups.remove(id, 'room');
    assert.deepEqual(brief(onA.changes), [`/rooms ${id} joined room`, `/rooms ${id} left room`]);
    assert.equal(onA.changes[0]!.userIdentifier, 'ann');
    assert.deepEqual(onB.changes, []);
  });
});
