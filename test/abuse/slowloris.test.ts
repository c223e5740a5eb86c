/**
 * Slowloris against the server `listen()` starts: sockets that send a request's headers (or a
 * WebSocket upgrade's) a byte at a time, never finish, or trickle a POST body. With short limits
 * set through the server options, each one must be answered 408 and closed soon after its limit,
 * while a canary official client keeps its round trips and an event stream and a held long poll
 * (responses, not requests) outlive `requestTimeout`.
 */
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Hub, type HubServerOptions } from 'hubwire';
import { negotiate } from '../support/http-probe.js';
import { EventStream, poll } from '../support/http-transports.js';
import { connect, signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { within } from '../support/wait.js';

const LIMITS = { headersTimeout: 400, requestTimeout: 800, keepAliveTimeout: 300, connectionsCheckingInterval: 50 } satisfies HubServerOptions;
/** How late Node may notice an expired request: one check interval, plus a loaded machine's slack. */
const SLACK = 1500;

class CanaryHub extends Hub {
  echo(value: unknown): unknown {
    return value;
  }
}

/** A raw socket that writes `head`, then one byte of `drip` every `everyMs` until closed. */
interface Attacker {
  readonly name: string;
  /** Resolves with what the server sent and when (ms after the start) the socket closed. */
  readonly closed: Promise<{ received: string; afterMs: number }>;
  destroy(): void;
}

function attacker(port: number, name: string, head: string, drip: string, everyMs = 50): Attacker {
  const started = Date.now();
  const socket: Socket = tcpConnect(port, '127.0.0.1');
  let received = '';
  let sent = 0;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  socket.write(head);
  const timer = setInterval(() => {
    if (drip === '' || !socket.writable) return;
    socket.write(drip[sent % drip.length]!);
    sent++;
  }, everyMs);
  const closed = new Promise<{ received: string; afterMs: number }>((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      resolve({ received, afterMs: Date.now() - started });
    }),
  );
  return { name, closed, destroy: () => socket.destroy() };
}

describe('slowloris against listen()', () => {
  let server: TestServer;
  let canary: signalR.HubConnection;
  const attackers: Attacker[] = [];
  before(async () => {
    server = await startTestServer((hw) => hw.mapHub('/hub', CanaryHub), { ...LIMITS, longPollingPollTimeout: 2000 });
    canary = await connect(server.url('/hub'), { transport: signalR.HttpTransportType.WebSockets });
  });
  after(async () => {
    for (const socket of attackers) socket.destroy();
    await canary?.stop();
    await server?.close();
  });

  it('closes half-sent headers, upgrades and bodies with 408 soon after their limit; the canary keeps its round trips', async () => {
    const token = String((await negotiate(server.url('/hub'))).body!['connectionToken']);
    assert.equal((await poll(server.url('/hub'), token)).status, 200);
    attackers.push(
      attacker(server.port, 'slow headers 1', 'GET /hub/negotiate HTTP/1.1\r\nHost: x\r\n', 'X-Slow: yes\r\n'),
      attacker(server.port, 'slow headers 2', 'POST /hub/negotiate HTTP/1.1\r\n', 'Cookie: a=b\r\n'),
      attacker(server.port, 'slow upgrade', 'GET /hub HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n', 'Sec-WebSocket-Version: 13\r\n'),
      attacker(server.port, 'silent socket', '', ''),
      attacker(server.port, 'slow POST body', `POST /hub?id=${token} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n`, '{'),
    );
    const limitOf = (name: string) => (name === 'slow POST body' ? LIMITS.requestTimeout : LIMITS.headersTimeout);

    // The canary goes on while the attackers hold their sockets.
    const roundTrips = (async () => {
      let count = 0;
      const deadline = Date.now() + LIMITS.requestTimeout + 200;
      while (Date.now() < deadline) {
        assert.equal(await within(canary.invoke('echo', count), 2000, 'a canary round trip'), count);
        count++;
      }
      return count;
    })();

    const outcomes = await within(Promise.all(attackers.map((a) => a.closed)), LIMITS.requestTimeout + SLACK + 2000, 'every attacker to be closed');
    outcomes.forEach((outcome, index) => {
      const { name } = attackers[index]!;
      assert.match(outcome.received, /^HTTP\/1\.1 408 Request Timeout\r\n/, `${name} gets 408`);
      assert.ok(outcome.afterMs >= limitOf(name) - 50, `${name} closed too early: ${outcome.afterMs} ms`);
      assert.ok(outcome.afterMs <= limitOf(name) + SLACK, `${name} closed too late: ${outcome.afterMs} ms`);
    });
    assert.ok((await roundTrips) > 5, 'the canary kept answering');
    assert.equal(await canary.invoke('echo', 'after'), 'after');
  });

  it('an event stream and a held long poll outlive requestTimeout: it bounds receiving a request, not the response', async () => {
    const sseToken = String((await negotiate(server.url('/hub'))).body!['connectionToken']);
    const stream = await EventStream.open(server.url(`/hub?id=${sseToken}`));
    const lpToken = String((await negotiate(server.url('/hub'))).body!['connectionToken']);
    try {
      assert.equal((await poll(server.url('/hub'), lpToken)).status, 200);
      const held = poll(server.url('/hub'), lpToken);
      const early = await Promise.race([held.then(() => 'answered'), new Promise((resolve) => setTimeout(resolve, LIMITS.requestTimeout + 600, 'held'))]);
      assert.equal(early, 'held', 'the long poll is still held past requestTimeout');
      const ended = await Promise.race([stream.ended.then(() => 'ended'), Promise.resolve('open')]);
      assert.equal(ended, 'open', 'the event stream is still open past requestTimeout');
      // The held poll is answered by its own timeout (200, empty), not cut with 408.
      assert.equal((await within(held, 4000, 'the held poll')).status, 200);
    } finally {
      stream.close();
    }
  });

  it('an idle keep-alive socket is closed after keepAliveTimeout', async () => {
    const socket = attacker(server.port, 'keep-alive', 'GET /hub HTTP/1.1\r\nHost: x\r\n\r\n', '');
    attackers.push(socket);
    const { received, afterMs } = await within(socket.closed, LIMITS.keepAliveTimeout + SLACK + 2000, 'the keep-alive socket to close');
    assert.match(received, /^HTTP\/1\.1 400 /, 'its one request was answered');
    assert.ok(afterMs >= LIMITS.keepAliveTimeout - 50 && afterMs <= LIMITS.keepAliveTimeout + SLACK, `closed after ${afterMs} ms`);
  });
});
