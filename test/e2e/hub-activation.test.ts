/**
 * A hub that cannot be created fails the connection right after the handshake, as ASP.NET does
 * (it activates the hub for OnConnectedAsync even when the hub does not override it), driven by
 * the official @microsoft/signalr client.
 * Reference: signalr-protocol.md §12 (`OnConnectedAsync` throws), case M29 of §15.4.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Hub } from 'hubwire';
import { stopAll } from '../support/e2e.js';
import { clientFor, signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { within } from '../support/wait.js';

let constructed = 0;

/** A hub whose constructor fails; it defines no lifecycle hook. */
class BrokenHub extends Hub {
  constructor() {
    super();
    constructed++;
    throw new Error('no database');
  }
  add(a: number, b: number): number {
    return a + b;
  }
}

class PlainHub extends Hub {
  add(a: number, b: number): number {
    return a + b;
  }
}

let server: TestServer;
const open = new Set<signalR.HubConnection>();

before(async () => {
  server = await startTestServer((hw) => {
    hw.mapHub('/broken', BrokenHub);
    hw.mapHub('/broken-detailed', BrokenHub, { enableDetailedErrors: true });
    hw.mapHub('/factory', PlainHub, {
      create: () => {
        throw new TypeError('factory failed');
      },
    });
    hw.mapHub('/factory-detailed', PlainHub, {
      enableDetailedErrors: true,
      create: () => {
        throw new TypeError('factory failed');
      },
    });
    hw.mapHub('/fine', PlainHub);
  });
});

after(async () => {
  await stopAll(open);
  await within(server.close(), 5000, 'server close');
});

/**
 * Starts an official client with automatic reconnect on `path` and returns the error it ends
 * with. The Close follows the handshake response at once, so it usually arrives while `start()`
 * is still settling and `start()` rejects with it (the client then calls no `onclose`, as with
 * ASP.NET); if `start()` has already resolved, `onclose` gets it. The text is the same.
 */
async function closeErrorOf(path: string): Promise<{ error: Error | undefined; reconnecting: boolean }> {
  const connection = clientFor(server.url(path)).withAutomaticReconnect([0]).build();
  open.add(connection);
  let reconnecting = false;
  connection.onreconnecting(() => (reconnecting = true));
  const closed = new Promise<Error | undefined>((resolve) => connection.onclose(resolve));
  let error: Error | undefined;
  try {
    await within(connection.start(), 5000, 'start');
    error = await within(closed, 5000, 'onclose');
  } catch (failure) {
    error = failure as Error;
  }
  assert.equal(connection.state, signalR.HubConnectionState.Disconnected);
  return { error, reconnecting };
}

describe('a hub that cannot be created', () => {
  test('a throwing constructor (no onConnected defined) closes the connection with "Connection closed with an error."', async () => {
    const before = constructed;
    const { error, reconnecting } = await closeErrorOf('/broken');
    assert.equal(error?.message, 'Server returned an error on close: Connection closed with an error.');
    assert.equal(reconnecting, false, 'the Close has no allowReconnect: the client must not reconnect');
    assert.equal(constructed, before + 1, 'the hub was created once, at connect');
  });

  test('with detailed errors the Close carries the error type and message', async () => {
    const { error } = await closeErrorOf('/broken-detailed');
    assert.equal(error?.message, 'Server returned an error on close: Connection closed with an error. Error: no database');
  });

  test('a throwing create factory fails the connection the same way', async () => {
    assert.equal((await closeErrorOf('/factory')).error?.message, 'Server returned an error on close: Connection closed with an error.');
    assert.equal(
      (await closeErrorOf('/factory-detailed')).error?.message,
      'Server returned an error on close: Connection closed with an error. TypeError: factory failed',
    );
  });

  test('a hub that can be created connects as before', async () => {
    const connection = clientFor(server.url('/fine')).build();
    open.add(connection);
    await within(connection.start(), 5000, 'start');
    assert.equal(await within(connection.invoke('add', 1, 2)), 3);
    assert.equal(server.hubwire.connectionCount('/broken'), 0);
  });
});
