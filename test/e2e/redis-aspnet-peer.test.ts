/**
 * A Hubwire server on the real Redis with `layout: 'aspnet'`, official JSON and MessagePack
 * clients on it, and an ASP.NET Core server played by hand: a raw Redis client that publishes
 * and subscribes exactly what `Microsoft.AspNetCore.SignalR.StackExchangeRedis` does (protocol
 * reference §14; the envelope of §14.3 is written out byte for byte). There is no dotnet on the
 * test machine, so this is the .NET side as its source describes it, not a .NET process. The
 * cases follow §15.9 (R1–R9) where they can run without .NET.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { createClient } from '@redis/client';
import { Hub, jsonHubProtocol, messagePackHubProtocol, MessageType, type RedisLifetimeManagerFactory } from 'hubwire';
import { decodeGroupCommand, decodeInvocation, decodeReturn, encodeAck, encodeGroupCommand, encodeInvocation, encodeReturn } from '../../packages/hubwire/src/lifetime/redis/aspnet-wire.js';
import { e2eScope, startClient, startRedisNode } from '../support/redis-e2e.js';
import type { TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';

interface Client {
  Send(text: string): void;
}

class ChatHub extends Hub<Client> {
  whoAmI(): string {
    return this.context.connectionId;
  }
  async join(group: string): Promise<void> {
    await this.groups.add(this.context.connectionId, group);
  }
  async toAll(text: string): Promise<void> {
    await this.clients.all.Send(text);
  }
  async toOthers(text: string): Promise<void> {
    await this.clients.others.Send(text);
  }
  async toGroup(group: string, text: string): Promise<void> {
    await this.clients.group(group).Send(text);
  }
  async toUser(user: string, text: string): Promise<void> {
    await this.clients.user(user).Send(text);
  }
  async toConnection(id: string, text: string): Promise<void> {
    await this.clients.client(id).Send(text);
  }
  async ask(id: string, question: string): Promise<unknown> {
    return this.clients.client(id).invoke('Ask', question);
  }
}

/** The .NET server's name, as ASP.NET makes them: `<MachineName>_<32 hex digits>`. */
const DOTNET = 'DOTNET-HOST_0123456789abcdef0123456789abcdef';
/** `Clients.All.SendAsync("Send", "hi")` as an ASP.NET server publishes it (§14.3). */
const SEND_HI = Buffer.concat([
  Buffer.from('929082a46a736f6ec42e', 'hex'),
  Buffer.from('{"type":1,"target":"Send","arguments":["hi"]}\x1e'),
  Buffer.from('ab6d6573736167657061636bc40f0e960180c0a453656e6491a2686990', 'hex'),
]);

const scope = e2eScope();

/** The pieces of one test: a Hubwire node, its channel prefix P, and the hand-played .NET server. */
interface Setup {
  server: TestServer;
  backplane: RedisLifetimeManagerFactory;
  nodeId: string;
  P: string;
  peer: Peer;
}

async function setup(options: { groupTimeout?: number } = {}): Promise<Setup> {
  // The .NET hub type's full name; a namespace of its own keeps parallel tests apart.
  const namespace = `Peer${randomUUID().replaceAll('-', '')}`;
  const P = `${namespace}.Hubs.ChatHub`;
  const nodeId = `hubwire-${randomUUID()}`;
  const { server, backplane } = await startRedisNode(scope, ChatHub, { layout: 'aspnet', channelPrefix: (hub) => `${namespace}.Hubs.${hub}`, prefix: `e2e-${randomUUID()}`, nodeId, ...options });
  const peer = await Peer.start();
  return { server, backplane, nodeId, P, peer };
}

type RedisClient = ReturnType<typeof createClient>;

/** The .NET server: publishes with one connection, subscribes (binary-safe) with another, records per channel. */
class Peer {
  readonly seen = new Map<string, Buffer[]>();
  private constructor(
    readonly publisher: RedisClient,
    readonly subscriber: RedisClient,
  ) {}

  static async start(): Promise<Peer> {
    const publisher: RedisClient = createClient({ url: 'redis://127.0.0.1:6379' });
    await publisher.connect();
    const subscriber: RedisClient = publisher.duplicate();
    await subscriber.connect();
    scope.defer(async () => {
      subscriber.destroy();
      publisher.destroy();
    });
    return new Peer(publisher, subscriber);
  }

  async listen(...channels: string[]): Promise<void> {
    for (const channel of channels) {
      this.seen.set(channel, []);
      await this.subscriber.subscribe(channel, (message: Buffer) => this.seen.get(channel)!.push(message), true);
    }
  }

  async publish(channel: string, payload: Buffer): Promise<number> {
    return this.publisher.publish(channel, payload);
  }

  /** Waits for the `count`-th message on `channel` and returns it. */
  async next(channel: string, count = 1): Promise<Buffer> {
    await until(() => (this.seen.get(channel)?.length ?? 0) >= count, 5000, `message ${count} on ${channel}`);
    return this.seen.get(channel)![count - 1]!;
  }
}

async function client(server: TestServer, options: { user?: string; messagepack?: boolean } = {}) {
  const { connection, inbox, invoke } = await startClient(scope, server, { ...options, inbox: 'Send' });
  return { connection, received: inbox.received as string[], invoke, id: await invoke<string>('whoAmI') };
}

/** An envelope as a .NET server writes it: `Send(text)` framed in JSON and MessagePack. */
function dotnetSend(text: string, excluded: string[] = [], protocols = ['json', 'messagepack']): Buffer {
  const message = { type: MessageType.Invocation, target: 'Send', arguments: [text] } as const;
  const all = new Map([['json', Buffer.from(jsonHubProtocol.write(message))], ['messagepack', Buffer.from(messagePackHubProtocol.write(message))]]);
  return encodeInvocation({ excluded, bytes: new Map(protocols.map((name) => [name, all.get(name)!])) });
}

describe("Sharing a Redis with an ASP.NET Core server (layout: 'aspnet')", () => {
  test('R1/R2: a .NET-published Clients.All reaches JSON and MessagePack clients once; AllExcept leaves out its ids', async () => {
    const { server, P, peer } = await setup();
    const a = await client(server);
    const b = await client(server, { messagepack: true });
    assert.equal(await peer.publish(`${P}:all`, SEND_HI), 1, 'the Hubwire node listens on P:all');
    await peer.publish(`${P}:all`, dotnetSend('not you', [a.id]));
    await peer.publish(`${P}:all`, dotnetSend('marker'));
    await until(() => a.received.includes('marker') && b.received.includes('marker'), 5000, 'the marker on both clients');
    assert.deepEqual(a.received, ['hi', 'marker']);
    assert.deepEqual(b.received, ['hi', 'not you', 'marker']);
  });

  test('R1/R8: a Hubwire send is published on P:all as the .NET envelope, json and messagepack, and the node\'s own clients get it once', async () => {
    const { server, P, peer } = await setup();
    await peer.listen(`${P}:all`);
    const a = await client(server);
    const b = await client(server, { messagepack: true });
    await a.invoke('toAll', 'hi');
    // Byte for byte what ASP.NET publishes for Clients.All.SendAsync("Send", "hi").
    assert.equal((await peer.next(`${P}:all`)).toString('hex'), SEND_HI.toString('hex'));
    await b.invoke('toOthers', 'others');
    const others = decodeInvocation(await peer.next(`${P}:all`, 2));
    assert.deepEqual(others.excluded, [b.id]);
    await a.invoke('toAll', 'marker');
    await until(() => a.received.includes('marker') && b.received.includes('marker'), 5000, 'the marker');
    assert.deepEqual(a.received, ['hi', 'others', 'marker']);
    assert.deepEqual(b.received, ['hi', 'marker']);
  });

  test('R3/R4: group, user and connection channels carry sends both ways', async () => {
    const { server, P, peer } = await setup();
    await peer.listen(`${P}:group:room`, `${P}:user:bob`, `${P}:connection:dotnet-conn-1`);
    const alice = await client(server, { user: 'alice' });
    await alice.invoke('join', 'room');
    // From .NET: Clients.Group("room"), Clients.User("alice"), Clients.Client(id).
    await peer.publish(`${P}:group:room`, dotnetSend('to room'));
    await peer.publish(`${P}:user:alice`, dotnetSend('to alice'));
    await peer.publish(`${P}:connection:${alice.id}`, dotnetSend('to you'));
    await until(() => alice.received.length === 3, 5000, 'three sends from .NET');
    assert.deepEqual(alice.received, ['to room', 'to alice', 'to you']);
    // From Hubwire to the .NET server's members, user and connection; the local member of the group gets it back once.
    await alice.invoke('toGroup', 'room', 'room from hubwire');
    await alice.invoke('toUser', 'bob', 'bob from hubwire');
    await alice.invoke('toConnection', 'dotnet-conn-1', 'conn from hubwire');
    // (The peer hears its own 'to room' on the group channel first, as a .NET server would.)
    const texts = await Promise.all([[`${P}:group:room`, 2], [`${P}:user:bob`, 1], [`${P}:connection:dotnet-conn-1`, 1]].map(async ([channel, nth]) => {
      const envelope = decodeInvocation(await peer.next(channel as string, nth as number));
      assert.deepEqual([...envelope.bytes.keys()], ['json', 'messagepack']);
      return JSON.parse(envelope.bytes.get('json')!.subarray(0, -1).toString()).arguments[0];
    }));
    assert.deepEqual(texts, ['room from hubwire', 'bob from hubwire', 'conn from hubwire']);
    await until(() => alice.received.includes('room from hubwire'), 5000, 'the group send back at its local member');
  });

  test('R5: a group command from .NET is applied and acked on P:internal:ack:<server>; Hubwire\'s go the other way', async () => {
    const { server, backplane, nodeId, P, peer } = await setup({ groupTimeout: 1500 });
    await peer.listen(`${P}:internal:ack:${DOTNET}`, `${P}:internal:groups`, `${P}:connection:dotnet-conn-1`);
    const a = await client(server);
    // [7, server, Add, "room", connection]: applied, then acked as [7].
    await peer.publish(`${P}:internal:groups`, encodeGroupCommand({ id: 7, serverName: DOTNET, action: 1, group: 'room', connectionId: a.id }));
    assert.equal((await peer.next(`${P}:internal:ack:${DOTNET}`)).toString('hex'), '9107');
    await peer.publish(`${P}:group:room`, dotnetSend('in room'));
    await until(() => a.received.includes('in room'), 5000, 'a group send after the add');
    await peer.publish(`${P}:internal:groups`, encodeGroupCommand({ id: 8, serverName: DOTNET, action: 2, group: 'room', connectionId: a.id }));
    assert.equal((await peer.next(`${P}:internal:ack:${DOTNET}`, 2)).toString('hex'), '9108');
    await peer.publish(`${P}:group:room`, dotnetSend('after leaving'));
    await peer.publish(`${P}:all`, dotnetSend('marker'));
    await until(() => a.received.includes('marker'), 5000, 'marker');
    assert.deepEqual(a.received, ['in room', 'marker']);

    // Hubwire adds a connection of the .NET server: a command on P:internal:groups, awaited until .NET acks.
    const groups = server.hubwire.hubContext(ChatHub).groups;
    const adding = groups.add('dotnet-conn-1', 'room');
    const command = decodeGroupCommand(await peer.next(`${P}:internal:groups`, 3));
    assert.deepEqual({ ...command, id: 0 }, { id: 0, serverName: nodeId, action: 1, group: 'room', connectionId: 'dotnet-conn-1' });
    await peer.publish(`${P}:internal:ack:${nodeId}`, encodeAck(command.id));
    await within(adding, 2000, 'the add to resolve on the ack');
    // A .NET server that never acks: the call fails after groupTimeout, as ASP.NET's after 30 s.
    await assert.rejects(groups.remove('dotnet-conn-1', 'room'), { code: 'HUB_ERR_BACKPLANE', message: "The server of connection 'dotnet-conn-1' did not remove it from group 'room' within 1500 ms." });
    // A connection no server subscribes to: a no-op at once (ASP.NET would wait 30 s and fail).
    const started = Date.now();
    await groups.add('nowhere', 'room');
    assert.ok(Date.now() - started < 1500);
    assert.equal(backplane.managers.length, 1);
  });

  test('R6: a client result asked by .NET is answered on its return channel; owner disconnect answers "Connection disconnected."', async () => {
    const { server, P, peer } = await setup();
    const returns = `${P}:internal:return:${DOTNET}`;
    await peer.listen(returns);
    const b = await client(server, { messagepack: true });
    b.connection.on('Ask', (question: string) => `${question}? 42`);
    const j = await client(server);
    j.connection.on('Ask', () => 42);
    const call = (connectionId: string, invocationId: string) => {
      const message = { type: MessageType.Invocation, invocationId, target: 'Ask', arguments: ['q'] } as const;
      const bytes = new Map([['json', Buffer.from(jsonHubProtocol.write(message))], ['messagepack', Buffer.from(messagePackHubProtocol.write(message))]]);
      return peer.publish(`${P}:connection:${connectionId}`, encodeInvocation({ excluded: [], bytes, invocationId, returnChannel: returns }));
    };
    await call(b.id, 'Zm9vYmFyYmF6cXV4MTIzNA');
    const fromB = decodeReturn(await peer.next(returns));
    assert.equal(fromB.protocolName, 'messagepack', 'answered in the connection\'s protocol');
    assert.deepEqual(fromB.completion, Buffer.from(messagePackHubProtocol.write({ type: MessageType.Completion, invocationId: 'Zm9vYmFyYmF6cXV4MTIzNA', result: 'q? 42', hasResult: true })));
    await call(j.id, 'Zm9v');
    assert.equal((await peer.next(returns, 2)).toString('hex'), encodeReturn({ protocolName: 'json', completion: Buffer.from('{"type":3,"invocationId":"Zm9v","result":42}\x1e') }).toString('hex'));
    // The connection goes away before its client answers.
    const silent = await client(server);
    let asked = false;
    silent.connection.on('Ask', () => {
      asked = true;
      return new Promise(() => undefined);
    });
    await call(silent.id, 'c2lsZW50');
    await until(() => asked, 5000, 'the call to reach the client');
    await within(silent.connection.stop(), 5000, 'stop');
    const gone = decodeReturn(await peer.next(returns, 3));
    assert.equal(gone.completion.toString(), '{"type":3,"invocationId":"c2lsZW50","error":"Connection disconnected."}\x1e');
  });

  test('R6: a hub method asks a client of the .NET server and gets its answer or its error', async () => {
    const { server, nodeId, P, peer } = await setup();
    await peer.listen(`${P}:connection:dotnet-conn-1`);
    const a = await client(server);
    const asking = a.invoke('ask', 'dotnet-conn-1', 'q');
    const envelope = decodeInvocation(await peer.next(`${P}:connection:dotnet-conn-1`));
    assert.equal(envelope.returnChannel, `${P}:internal:return:${nodeId}`);
    assert.match(envelope.invocationId!, /^[A-Za-z0-9+/]{22}$/);
    assert.deepEqual(JSON.parse(envelope.bytes.get('json')!.subarray(0, -1).toString()), { type: 1, invocationId: envelope.invocationId, target: 'Ask', arguments: ['q'] });
    await peer.publish(envelope.returnChannel!, encodeReturn({ protocolName: 'json', completion: Buffer.from(`{"type":3,"invocationId":"${envelope.invocationId}","result":42}\x1e`) }));
    assert.equal(await asking, 42);
    const failing = a.invoke('ask', 'dotnet-conn-1', 'q');
    const second = decodeInvocation(await peer.next(`${P}:connection:dotnet-conn-1`, 2));
    await peer.publish(second.returnChannel!, encodeReturn({ protocolName: 'json', completion: Buffer.from(`{"type":3,"invocationId":"${second.invocationId}","error":"Connection disconnected."}\x1e`) }));
    await assert.rejects(failing, /HubException: Connection disconnected\./);
  });

  test('R7: a .NET hub that publishes only json still reaches MessagePack clients (re-encoded)', async () => {
    const { server, P, peer } = await setup();
    const b = await client(server, { messagepack: true });
    const j = await client(server);
    await peer.publish(`${P}:all`, dotnetSend('json only', [], ['json']));
    await until(() => b.received.length === 1 && j.received.length === 1, 5000, 'both clients');
    assert.deepEqual([b.received, j.received], [['json only'], ['json only']]);
  });

  test('R9: every channel the node subscribes is one of ASP.NET\'s names under P', async () => {
    const { server, nodeId, P, peer } = await setup();
    const alice = await client(server, { user: 'alice' });
    await alice.invoke('join', 'room');
    const channels = ((await peer.publisher.sendCommand(['PUBSUB', 'CHANNELS', `${P}:*`])) as string[]).sort();
    assert.deepEqual(channels, [`${P}:all`, `${P}:connection:${alice.id}`, `${P}:group:room`, `${P}:internal:ack:${nodeId}`, `${P}:internal:groups`, `${P}:internal:return:${nodeId}`, `${P}:user:alice`].sort());
  });
});
