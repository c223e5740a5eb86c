import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Hub, type CounterMetrics, type HubServer } from 'hubwire';
import { FakeClock } from '../support/fake-clock.js';
import { negotiate, probeUpgrade } from '../support/http-probe.js';
import { JsonStream, framed, roundTrip } from '../support/json-stream.js';
import { RawClient, RS } from '../support/raw-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until } from '../support/wait.js';

const received: number[] = [];

class SrHub extends Hub {
  record(n: number) {
    received.push(n);
    return n;
  }
  leave() {
    this.context.abort();
  }
}

/** A stateful connection: negotiate with useStatefulReconnect, WebSocket on the token, handshake v2. */
async function open(server: TestServer, version = 2): Promise<{ token: string; id: string; stream: JsonStream }> {
  const { body } = await negotiate(server.url('/sr'), 'negotiateVersion=1&useStatefulReconnect=true');
  assert.equal(body?.['useStatefulReconnect'], true);
  const token = body!['connectionToken'] as string;
  const client = await RawClient.connect(server.wsUrl(`/sr?id=${token}`));
  const stream = new JsonStream(client);
  stream.send(`{"protocol":"json","version":${version}}${RS}`);
  assert.equal(await stream.next(), '{}');
  return { token, id: body!['connectionId'] as string, stream };
}

async function resume(server: TestServer, token: string): Promise<JsonStream> {
  return new JsonStream(await RawClient.connect(server.wsUrl(`/sr?id=${token}`)));
}

/** Waits (bounded) until the token answers 404. */
async function gone(server: TestServer, token: string): Promise<void> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const { status } = await probeUpgrade(server.url(`/sr?id=${token}`));
    if (status === 404) return;
    if (Date.now() > deadline) assert.fail(`token still answers ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function tick(clock: FakeClock, seconds: number): void {
  for (let i = 0; i < seconds; i++) clock.advance(1000);
}

describe('stateful reconnect over raw WebSockets', () => {
  const clock = new FakeClock();
  let server: TestServer;
  let hubwire: HubServer;
  before(async () => {
    server = await startTestServer((hw) => hw.mapHub('/sr', SrHub), { clock, allowStatefulReconnects: true, statefulReconnectBufferSize: 2000 });
    hubwire = server.hubwire;
  });
  after(() => server.close());
  const losses = () => (hubwire.metrics as CounterMetrics).totals().transportsLost;

  test('SR1: the server acks the highest message it processed about once a second', async () => {
    const { stream } = await open(server);
    stream.send(framed({ type: 1, invocationId: '1', target: 'Record', arguments: [1] }, { type: 1, target: 'Record', arguments: [2] }));
    assert.equal(await stream.next(), '{"type":3,"invocationId":"1","result":1}');
    await roundTrip(stream.client);
    await until(() => received.includes(2), 2000, 'record 2');
    tick(clock, 1);
    assert.equal(await stream.nextNonPing(), '{"type":8,"sequenceId":2}');
    stream.client.close();
  });

  test('SR2/SR3: after a socket loss the client resumes on the same token; missed messages come after a Sequence', async () => {
    const { token, id, stream } = await open(server);
    const clients = hubwire.hubContext(SrHub).clients.client(id);
    await clients.send('note', 'a'); // sequence 1
    assert.equal(await stream.next(), '{"type":1,"target":"note","arguments":["a"]}');
    stream.client.close(); // TCP gone, no close frame
    await stream.closed();
    await clients.send('note', 'b'); // sequence 2, sent while the socket is down
    const resumed = await resume(server, token);
    // Nothing acked yet: the replay starts at 1.
    assert.equal(await resumed.next(), '{"type":9,"sequenceId":1}');
    assert.equal(await resumed.next(), '{"type":1,"target":"note","arguments":["a"]}');
    assert.equal(await resumed.next(), '{"type":1,"target":"note","arguments":["b"]}');
    // The client acks 1; the next resume replays only 2.
    resumed.send(framed({ type: 8, sequenceId: 1 }));
    await roundTrip(resumed.client);
    resumed.client.close();
    await resumed.closed();
    const again = await resume(server, token);
    assert.equal(await again.next(), '{"type":9,"sequenceId":2}');
    assert.equal(await again.next(), '{"type":1,"target":"note","arguments":["b"]}');
    again.client.close();
  });

  test('a replayed invocation the server already ran is not run again', async () => {
    const { token, stream } = await open(server);
    received.length = 0;
    stream.send(framed({ type: 1, target: 'Record', arguments: [10] }, { type: 1, target: 'Record', arguments: [11] }));
    await roundTrip(stream.client);
    stream.client.close();
    await stream.closed();
    const resumed = await resume(server, token);
    assert.equal(await resumed.next(), '{"type":9,"sequenceId":1}');
    // The client never saw an Ack: it replays both from 1, then sends a new one.
    resumed.send(framed({ type: 9, sequenceId: 1 }, { type: 1, target: 'Record', arguments: [10] }, { type: 1, target: 'Record', arguments: [11] }, { type: 1, invocationId: 'x', target: 'Record', arguments: [12] }));
    assert.equal(await resumed.next(), '{"type":3,"invocationId":"x","result":12}');
    assert.deepEqual(received, [10, 11, 12]);
    resumed.client.close();
  });

  test('SR6: a client Sequence beyond what the server received closes with an error', async () => {
    const { stream } = await open(server);
    stream.send(framed({ type: 9, sequenceId: 5 }));
    assert.equal(await stream.next(), '{"type":7,"error":"Connection closed with an error.","allowReconnect":true}');
    assert.equal(await stream.closed(), 1000);
  });

  test('SR5: a client close frame ends the connection for good', async () => {
    const { token, stream } = await open(server);
    stream.client.socket.close(1000);
    await stream.closed();
    await gone(server, token);
  });

  test('the token is forgotten at once when the server closes the connection', async () => {
    const { token, stream } = await open(server);
    stream.send(framed({ type: 1, invocationId: '1', target: 'Leave', arguments: [] }));
    assert.equal(await stream.next(), '{"type":7}');
    assert.equal((await probeUpgrade(server.url(`/sr?id=${token}`))).status, 404);
  });

  test('SR4: a client that does not come back within disconnectTimeout is gone (404)', async () => {
    const { token, stream } = await open(server);
    const lost = losses();
    stream.client.close();
    await stream.closed();
    await until(() => losses() > lost, 2000, 'the server to notice the loss');
    tick(clock, 16);
    await gone(server, token);
  });

  test('SR8: handshake version 1 on a stateful negotiation turns it off', async () => {
    const { token, stream } = await open(server, 1);
    stream.client.close();
    await stream.closed();
    await gone(server, token);
  });

  test('SR7: past the replay buffer size, sends wait for an Ack', async () => {
    const { id, stream } = await open(server);
    const clients = hubwire.hubContext(SrHub).clients.client(id);
    const text = 'x'.repeat(450); // ~500 bytes framed: 4 fit in the 2000-byte buffer
    for (let i = 0; i < 10; i++) await clients.send('bulk', i, text);
    const seenBefore: number[] = [];
    for (let i = 0; i < 4; i++) seenBefore.push((JSON.parse(await stream.next()) as { arguments: [number] }).arguments[0]);
    assert.deepEqual(seenBefore, [0, 1, 2, 3]);
    await roundTrip(stream.client);
    assert.equal(stream.pending, 0, 'nothing more until an Ack');
    stream.send(framed({ type: 8, sequenceId: 4 }));
    const after: number[] = [];
    for (let i = 0; i < 4; i++) after.push((JSON.parse(await stream.next()) as { arguments: [number] }).arguments[0]);
    assert.deepEqual(after, [4, 5, 6, 7]);
    stream.client.close();
  });
});
