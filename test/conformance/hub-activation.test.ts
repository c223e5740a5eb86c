/**
 * Conformance: a hub that cannot be created closes the connection right after the handshake with
 * `{"type":7,"error":"Connection closed with an error."}` (no allowReconnect), as ASP.NET does when
 * activating the hub for OnConnectedAsync fails — whether or not the hub defines onConnected.
 * Reference: signalr-protocol.md §12 (`OnConnectedAsync` throws), case M29 of §15.4.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Hub } from 'hubwire';
import { JsonStream, framed } from '../support/json-stream.js';
import { RawClient } from '../support/raw-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let invoked = 0;

class UncreatableHub extends Hub {
  constructor() {
    super();
    throw new RangeError('pool exhausted');
  }
  add(a: number, b: number): number {
    invoked++;
    return a + b;
  }
}

let server: TestServer;

before(async () => {
  server = await startTestServer((hw) => {
    hw.mapHub('/uncreatable', UncreatableHub);
    hw.mapHub('/uncreatable-detailed', UncreatableHub, { enableDetailedErrors: true });
  });
});

after(() => server.close());

async function expectClose(path: string, close: string): Promise<void> {
  const stream = new JsonStream(await RawClient.connect(server.wsUrl(path)));
  // The first invocation shares the handshake's frame: it must not run.
  stream.send(framed('{"protocol":"json","version":1}', { type: 1, invocationId: '1', target: 'add', arguments: [1, 2] }));
  assert.equal(await stream.next(), '{}');
  assert.equal(await stream.next(), close);
  assert.equal(await stream.closed(), 1000);
  assert.equal(stream.pending, 0, 'nothing may follow the Close message');
}

describe('a hub whose constructor throws (no onConnected defined)', () => {
  test('→ {} then {"type":7,"error":"Connection closed with an error."}, then the socket closes', async () => {
    await expectClose('/uncreatable', '{"type":7,"error":"Connection closed with an error."}');
    assert.equal(invoked, 0);
  });

  test('with detailed errors the Close carries the error type and message', async () => {
    await expectClose('/uncreatable-detailed', '{"type":7,"error":"Connection closed with an error. RangeError: pool exhausted"}');
  });
});
