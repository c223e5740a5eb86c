/**
 * The `messagepack` hub protocol with the official @microsoft/signalr-protocol-msgpack client:
 * results of every kind, binary and Date values, errors, sends, groups, and a group mixing JSON
 * and MessagePack clients (one serialization per protocol per broadcast).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { Hub, HubError, jsonHubProtocol, messagePackHubProtocol, type HubMessage, type HubProtocol } from 'hubwire';
import { Inbox, mapLimit, nextMessage, stopAll } from '../support/e2e.js';
import { clientFor, signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';

interface RoomClient {
  news(item: unknown): void;
}

/** What the hub saw of its arguments. */
const seen: unknown[] = [];

class MessagePackHub extends Hub<RoomClient> {
  getNumber(): number {
    return 42;
  }
  getLarge(): number {
    return 2 ** 40 + 1;
  }
  getFloat(): number {
    return 0.1;
  }
  getString(): string {
    return 'héllo, wörld ✓';
  }
  getNull(): null {
    return null;
  }
  doNothing(): void {}
  getObject(): unknown {
    return { name: 'hubwire', count: 3, skipped: undefined, nested: { list: [1, 'two', null, false], flag: true } };
  }
  /** Returns the bytes reversed, after checking they arrived as bytes. */
  reverseBytes(bytes: Uint8Array): Uint8Array {
    if (!(bytes instanceof Uint8Array)) throw new HubError(`expected bytes, got ${typeof bytes}`);
    return Uint8Array.from(bytes).reverse();
  }
  /** Returns the date one second later, after checking it arrived as a Date. */
  nextSecond(date: Date): Date {
    if (!(date instanceof Date)) throw new HubError(`expected a Date, got ${typeof date}`);
    return new Date(date.getTime() + 1000);
  }
  echo(value: unknown): unknown {
    return value;
  }
  protocolAndTransport(): string {
    return `${this.context.protocol} over ${this.context.transport}`;
  }
  throwHubError(): never {
    throw new HubError('Room is full.');
  }
  throwError(): never {
    throw new Error('secret detail');
  }
  record(value: unknown): void {
    seen.push(value);
  }
  async join(group: string): Promise<void> {
    await this.groups.add(this.context.connectionId, group);
  }
  async toGroup(group: string, item: unknown): Promise<void> {
    await this.clients.group(group).news(item);
  }
}

/** Counts, per protocol name, the writes of `news` invocations carrying a given tag. */
const newsWrites = new Map<string, Map<string, number>>();

/** Wraps a protocol to count its `write` calls for `news` invocations, keyed by the item's tag. */
function counting(inner: HubProtocol): HubProtocol {
  const counts = new Map<string, number>();
  newsWrites.set(inner.name, counts);
  return {
    name: inner.name,
    version: inner.version,
    transferFormat: inner.transferFormat,
    parse: (input, maxMessageSize) => inner.parse(input, maxMessageSize),
    write(message: HubMessage) {
      if (message.type === 1 && message.target === 'news') {
        const tag = (message.arguments[0] as { tag?: string } | undefined)?.tag ?? '';
        counts.set(tag, (counts.get(tag) ?? 0) + 1);
      }
      return inner.write(message);
    },
  };
}

let server: TestServer;
const open = new Set<signalR.HubConnection>();

async function connect(protocol: 'messagepack' | 'json' = 'messagepack'): Promise<signalR.HubConnection> {
  const builder = clientFor(server.url('/hub'));
  if (protocol === 'messagepack') builder.withHubProtocol(new MessagePackHubProtocol());
  const connection = builder.build();
  await within(connection.start(), 5000, `${protocol} client start`);
  open.add(connection);
  return connection;
}

before(async () => {
  server = await startTestServer((hubwire) => hubwire.mapHub('/hub', MessagePackHub), {
    protocols: [counting(jsonHubProtocol), counting(messagePackHubProtocol)],
  });
});

after(async () => {
  await stopAll(open);
  await server.close();
});

describe('messagepack with the official client: invocations', () => {
  let connection: signalR.HubConnection;
  before(async () => {
    connection = await connect();
  });

  test('the connection speaks messagepack over WebSockets', async () => {
    assert.equal(await connection.invoke('protocolAndTransport'), 'messagepack over WebSockets');
  });

  test('M1: value, void and null results (kinds 3, 2 and 3 + nil)', async () => {
    assert.equal(await connection.invoke('getNumber'), 42);
    // Kind 2 has no value element, so the client resolves with undefined; kind 3 + nil gives null.
    assert.equal(await connection.invoke('doNothing'), undefined);
    assert.equal(await connection.invoke('getNull'), null);
  });

  test('numbers, strings and nested objects keep their values (undefined properties left out)', async () => {
    assert.equal(await connection.invoke('getLarge'), 2 ** 40 + 1);
    assert.equal(await connection.invoke('getFloat'), 0.1);
    assert.equal(await connection.invoke('getString'), 'héllo, wörld ✓');
    assert.deepEqual(await connection.invoke('getObject'), { name: 'hubwire', count: 3, nested: { list: [1, 'two', null, false], flag: true } });
    assert.deepEqual(await connection.invoke('echo', { a: [1, { b: 'c' }], d: -7 }), { a: [1, { b: 'c' }], d: -7 });
  });

  test('Uint8Array arguments arrive as bytes and bytes come back as Uint8Array', async () => {
    const sent = Uint8Array.from({ length: 1024 }, (_, i) => i & 0xff);
    const result = (await connection.invoke('reverseBytes', sent)) as Uint8Array;
    assert.ok(result instanceof Uint8Array);
    assert.deepEqual([...result], [...sent].reverse());
  });

  test('Date arguments arrive as Date and Date results come back as Date', async () => {
    const date = new Date('2024-02-29T12:34:56.789Z');
    const result = (await connection.invoke('nextSecond', date)) as Date;
    assert.ok(result instanceof Date);
    assert.equal(result.toISOString(), '2024-02-29T12:34:57.789Z');
  });

  test('M6: a HubError reaches the caller with its text; other errors without theirs', async () => {
    await assert.rejects(connection.invoke('throwHubError'), {
      message: "An unexpected error occurred invoking 'throwHubError' on the server. HubException: Room is full.",
    });
    await assert.rejects(connection.invoke('throwError'), { message: "An unexpected error occurred invoking 'throwError' on the server." });
  });

  test('M3: an unknown method is reported', async () => {
    await assert.rejects(connection.invoke('noSuchMethod'), {
      message: "Failed to invoke 'noSuchMethod' due to an error on the server. HubException: Method does not exist.",
    });
  });

  test('send (non-blocking) reaches the hub, in order with later calls', async () => {
    seen.length = 0;
    await connection.send('record', 'first');
    await connection.send('record', new Uint8Array([7, 8]));
    assert.equal(await connection.invoke('getNumber'), 42);
    assert.equal(seen[0], 'first');
    assert.ok(seen[1] instanceof Uint8Array);
    assert.deepEqual([...(seen[1] as Uint8Array)], [7, 8]);
  });

  test('the connection is still up after all of the above', async () => {
    assert.equal(connection.state, signalR.HubConnectionState.Connected);
  });
});

describe('messagepack with the official client: long polling', () => {
  test('binary values round-trip over long polling too', async () => {
    const connection = clientFor(server.url('/hub'), { transport: signalR.HttpTransportType.LongPolling })
      .withHubProtocol(new MessagePackHubProtocol())
      .build();
    await within(connection.start(), 5000, 'long-polling client start');
    open.add(connection);
    assert.equal(await connection.invoke('protocolAndTransport'), 'messagepack over LongPolling');
    const result = (await connection.invoke('reverseBytes', new Uint8Array([0, 1, 0x1e, 0xff]))) as Uint8Array;
    assert.deepEqual([...result], [0xff, 0x1e, 1, 0]);
  });
});

describe('messagepack with the official client: groups', () => {
  test('a group message reaches every MessagePack member', async () => {
    const members = await mapLimit([0, 1], 2, () => connect());
    await Promise.all(members.map((member) => member.invoke('join', 'mp-only')));
    const arrivals = members.map((member) => nextMessage(member, 'news'));
    await members[0]!.invoke('toGroup', 'mp-only', { tag: 'mp-only', bytes: new Uint8Array([1, 2, 3]) });
    for (const [item] of await Promise.all(arrivals)) {
      const { tag, bytes } = item as { tag: string; bytes: Uint8Array };
      assert.equal(tag, 'mp-only');
      assert.deepEqual([...bytes], [1, 2, 3]);
    }
  });

  test('a group of JSON and MessagePack clients: each gets the broadcast, serialized once per protocol', async () => {
    const msgpackMembers = await mapLimit([0, 1, 2], 3, () => connect('messagepack'));
    const jsonMembers = await mapLimit([0, 1, 2], 3, () => connect('json'));
    const everyone = [...msgpackMembers, ...jsonMembers];
    await Promise.all(everyone.map((member) => member.invoke('join', 'mixed')));
    const inboxes = everyone.map((member) => new Inbox(member, 'news'));
    const item = { tag: 'mixed-1', text: 'héllo', n: 2 ** 40, list: [1, null, { deep: true }] };
    await jsonMembers[0]!.invoke('toGroup', 'mixed', item);
    await until(() => inboxes.every((inbox) => inbox.received.length === 1), 5000, 'every member to receive the broadcast');
    for (const inbox of inboxes) assert.deepEqual(inbox.received[0], item);
    assert.equal(newsWrites.get('messagepack')?.get('mixed-1'), 1, 'one MessagePack serialization for 3 MessagePack members');
    assert.equal(newsWrites.get('json')?.get('mixed-1'), 1, 'one JSON serialization for 3 JSON members');
  });
});
