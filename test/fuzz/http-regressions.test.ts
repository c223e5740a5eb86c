/**
 * Regressions found by the HTTP fuzzing (test/fuzz/http-routes.test.ts), reduced to one request.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { Hub } from 'hubwire';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { within } from '../support/wait.js';

class EmptyHub extends Hub {}

/** Open sockets of the server's HTTP listener (upgraded ones included). */
function openSockets(server: TestServer): Promise<number> {
  return new Promise((resolve, reject) => server.hubwire.httpServer!.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

describe('a refused WebSocket upgrade whose client goes on sending', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer((hubwire) => hubwire.mapHub('/hub', EmptyHub));
  });
  after(() => within(server.close(), 5000, 'the server to close'));

  test('is answered, and its socket is closed instead of held open (and holding up shutdown)', async () => {
    const socket = createConnection({ host: '127.0.0.1', port: server.port });
    await once(socket, 'connect');
    // An upgrade refused with 404 (unknown id), followed by more bytes than the first read takes.
    socket.write('GET /hub?id=unknown HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 200000\r\n\r\n');
    socket.write(Buffer.alloc(200_000, 0x61));
    const answer: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => answer.push(chunk));
    await within(once(socket, 'end'), 5000, 'the answer');
    assert.match(Buffer.concat(answer).toString('latin1'), /^HTTP\/1\.1 404 /u);
    socket.destroy();
    const deadline = Date.now() + 5000;
    while ((await openSockets(server)) > 0) {
      assert.ok(Date.now() < deadline, 'the refused socket is still open on the server');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
});
