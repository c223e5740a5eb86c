/**
 * One hub class mapped on two paths is one hub, as in ASP.NET (one `HubLifetimeManager<THub>` per
 * hub type): `hubContext(Class)` and `hubContext(path)` are the same context, and broadcasts,
 * groups and client results reach connections on both paths. Also: client methods named `send`
 * and `invoke`, called through `proxy.send('send', …)` / `invoke('invoke', …)`.
 * Driven by the official @microsoft/signalr client.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Hub, MemoryLifetimeManager } from 'hubwire';
import { nextMessage, stopAll } from '../support/e2e.js';
import { clientFor, signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { within } from '../support/wait.js';

/** A client interface with methods whose names are the proxy's own. */
interface RoomClient {
  notice(text: string): void;
  send(text: string): void;
  invoke(n: number): number;
}

class RoomHub extends Hub<RoomClient> {
  whereAmI(): string {
    return this.context.request.headers['x-path'] as string;
  }
  async join(group: string): Promise<void> {
    await this.groups.add(this.context.connectionId, group);
  }
  async tellGroup(group: string, text: string): Promise<void> {
    await this.clients.group(group).notice(text);
  }
  async tellEveryone(text: string): Promise<void> {
    await this.clients.all.notice(text);
  }
  /** Calls the client method named `send` on the caller. */
  async echoToSend(text: string): Promise<void> {
    await this.clients.caller.send('send', text);
  }
  /** Calls the client method named `invoke` on the caller and awaits its result. */
  async askInvoke(n: number): Promise<unknown> {
    return this.clients.caller.invoke('invoke', n);
  }
}

let server: TestServer;
let factoryCalls: string[] = [];
const open: signalR.HubConnection[] = [];

async function connect(path: string): Promise<signalR.HubConnection> {
  const connection = clientFor(server.url(path), { headers: { 'x-path': path } }).build();
  open.push(connection);
  connection.on('invoke', (n: number) => n * 2);
  await within(connection.start(), 5000, `start on ${path}`);
  return connection;
}

before(async () => {
  factoryCalls = [];
  server = await startTestServer(
    (hw) => {
      hw.mapHub('/rooms', RoomHub);
      hw.mapHub('/rooms-detailed', RoomHub, { enableDetailedErrors: true });
    },
    {
      lifetimeManager: ({ hubPath, hubName }) => {
        factoryCalls.push(`${hubName} ${hubPath}`);
        return new MemoryLifetimeManager();
      },
    },
  );
});

after(async () => {
  await stopAll(open);
  await within(server.close(), 5000, 'server close');
});

describe('one hub class on two paths', () => {
  test('one lifetime manager, created once for the class', () => {
    assert.deepEqual(factoryCalls, ['RoomHub /rooms']);
  });

  test('hubContext(Class) and hubContext(path) are one context, reaching both paths', async () => {
    const a = await connect('/rooms');
    const b = await connect('/rooms-detailed');
    assert.equal(await within(a.invoke('WhereAmI')), '/rooms');
    assert.equal(await within(b.invoke('WhereAmI')), '/rooms-detailed');
    const context = server.hubwire.hubContext(RoomHub);
    assert.equal(server.hubwire.hubContext('/rooms'), context);
    assert.equal(server.hubwire.hubContext('/ROOMS-detailed'), context);
    const atA = nextMessage(a, 'notice');
    const atB = nextMessage(b, 'notice');
    await within(context.clients.all.notice('from the context'));
    assert.deepEqual(await atA, ['from the context']);
    assert.deepEqual(await atB, ['from the context']);
    assert.equal(server.hubwire.connectionCount(RoomHub), 2);
    assert.equal(server.hubwire.connectionCount('/rooms'), 1);
    // A client result through the context, to a connection on the second path.
    assert.equal(await within(context.clients.client(b.connectionId!).invoke('invoke', 4)), 8);
  });

  test('clients.all and groups in a hub method span both paths', async () => {
    const a = await connect('/rooms');
    const b = await connect('/rooms-detailed');
    const everyoneAtA = nextMessage(a, 'notice');
    await within(b.invoke('TellEveryone', 'from b'));
    assert.deepEqual(await everyoneAtA, ['from b']);
    // Joined through one path, addressed through the other.
    await within(a.invoke('Join', 'lobby'));
    const groupAtA = nextMessage(a, 'notice');
    await within(b.invoke('TellGroup', 'lobby', 'group message'));
    assert.deepEqual(await groupAtA, ['group message']);
  });
});

describe('client methods named send and invoke', () => {
  test("proxy.send('send', …) calls the client's send handler", async () => {
    const a = await connect('/rooms');
    const received = nextMessage(a, 'send');
    await within(a.invoke('EchoToSend', 'hello'));
    assert.deepEqual(await received, ['hello']);
  });

  test("invoke('invoke', …) calls the client's invoke handler and returns its result", async () => {
    const a = await connect('/rooms');
    assert.equal(await within(a.invoke('AskInvoke', 21)), 42);
  });
});
