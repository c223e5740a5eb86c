/**
 * Hostile WebSocket sessions: many raw `ws` connections, JSON and MessagePack, skipNegotiation,
 * negotiated or with stateful reconnect, each sending a valid, broken or missing handshake and
 * then generated frames (hub messages aimed at the hub's methods, message-like documents,
 * mutated and random bytes, messages split across frames, text frames with invalid UTF-8),
 * sometimes followed by bytes that break the WebSocket framing itself, several sessions at a time.
 * Throughout: whatever the server sends is whole, well-formed messages; the library logs no
 * internal failure; the official-client canaries keep answering; and once the sessions are gone
 * the server holds no connection but the canaries'.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import WebSocket from 'ws';
import { MessageType, jsonHubProtocol, messagePackHubProtocol, type CounterMetrics, type HubMessage, type HubProtocol } from 'hubwire';
import type { TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';
import { bytes, cuts, invalidUtf8, mutate, mutations, split } from './byte-arbitraries.js';
import { SUITE_SEED } from './fuzz-property.js';
import { Canaries, startFuzzServer, type ErrorLog } from './fuzz-server.js';
import { hubMessage, jsonMessageLike, msgpackMessageLike, payload, type Flavor } from './message-arbitraries.js';
import { varIntFrame, written } from './protocol-properties.js';

type ProtocolName = 'json' | 'messagepack';

interface Session {
  readonly via: 'skip' | 'negotiated' | 'stateful';
  readonly protocol: ProtocolName;
  readonly handshake: 'valid' | 'split' | 'garbage' | 'none' | 'unknown-protocol' | 'version-3' | 'invalid-utf8';
  readonly frames: readonly { readonly binary: boolean; readonly data: Uint8Array }[];
  /** Bytes written under the WebSocket framing, straight to the TCP socket. */
  readonly raw: Uint8Array | undefined;
  readonly end: 'terminate' | 'close' | 'close-4000' | 'linger';
}

const METHODS = ['add', 'echo', 'later', 'count', 'upload', 'ask', 'fail', 'nope', 'ADD'];
const IDS = ['0', '1', '2', '3', 's1', 's2'];

/** Messages aimed at what the hub has: its methods, live invocation and stream ids, client-result ids. */
function aimed(flavor: Flavor): fc.Arbitrary<HubMessage> {
  const id = fc.constantFrom(...IDS);
  const args = fc.array(fc.oneof(fc.integer({ min: -3, max: 30 }), payload(flavor)), { maxLength: 3 });
  const streamIds = fc.option(fc.array(id, { minLength: 1, maxLength: 2 }), { nil: undefined });
  return fc.oneof(
    fc.record({ invocationId: fc.option(id, { nil: undefined }), target: fc.constantFrom(...METHODS), arguments: args, streamIds }).map((m) => ({ type: MessageType.Invocation, ...m }) as HubMessage),
    fc.record({ invocationId: id, target: fc.constantFrom(...METHODS), arguments: args, streamIds }).map((m) => ({ type: MessageType.StreamInvocation, ...m }) as HubMessage),
    fc.record({ invocationId: id, item: payload(flavor) }).map((m) => ({ type: MessageType.StreamItem, ...m }) as HubMessage),
    fc.record({ invocationId: id, result: payload(flavor) }).map((m) => ({ type: MessageType.Completion, hasResult: true, ...m }) as HubMessage),
    fc.record({ invocationId: id, error: fc.constantFrom('boom', 'x') }).map((m) => ({ type: MessageType.Completion, hasResult: false, ...m }) as HubMessage),
    id.map((invocationId) => ({ type: MessageType.CancelInvocation, invocationId }) as HubMessage),
    fc.integer({ min: 0, max: 5 }).map((sequenceId) => ({ type: MessageType.Ack, sequenceId }) as HubMessage),
    fc.integer({ min: 0, max: 5 }).map((sequenceId) => ({ type: MessageType.Sequence, sequenceId }) as HubMessage),
  );
}

/** A message as a client frames it (the JSON writer is the server's and leaves out stream ids). */
function clientBytes(protocol: ProtocolName, message: HubMessage): Buffer {
  if (protocol === 'messagepack') return written(messagePackHubProtocol, message);
  const { hasResult: _, ...wire } = message as HubMessage & { hasResult?: boolean };
  return Buffer.from(`${JSON.stringify(wire)}\u001e`);
}

/** The bytes after the handshake: messages (some mutated), cut into frames at arbitrary places, or garbage frames. */
function framesFor(protocol: ProtocolName): fc.Arbitrary<Session['frames']> {
  const flavor: Flavor = protocol === 'json' ? 'json' : 'msgpack';
  const messages = fc.array(fc.oneof({ weight: 3, arbitrary: aimed(flavor) }, { weight: 1, arbitrary: hubMessage(flavor) }), { minLength: 1, maxLength: 8 });
  const like = protocol === 'json' ? jsonMessageLike.map((text) => Buffer.from(`${text}\u001e`)) : msgpackMessageLike.map(varIntFrame);
  const stream = fc.oneof(
    { weight: 4, arbitrary: messages.map((list) => Buffer.concat(list.map((m) => clientBytes(protocol, m)))) },
    { weight: 2, arbitrary: fc.tuple(messages, mutations).map(([list, edits]) => mutate(Buffer.concat(list.map((m) => clientBytes(protocol, m))), edits)) },
    { weight: 1, arbitrary: like },
    { weight: 1, arbitrary: bytes(200).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: invalidUtf8.map((bad) => Buffer.concat([Buffer.from('{"type":1,"target":"echo","arguments":["'), Buffer.from(bad), Buffer.from('"]}\u001e')])) },
  );
  return fc
    .record({ stream, cuts, binary: fc.oneof(fc.boolean(), fc.constant(protocol === 'messagepack')) })
    .map(({ stream: data, cuts: points, binary }) => split(data, points).filter((chunk) => chunk.length > 0).map((chunk) => ({ binary, data: chunk })));
}

const session: fc.Arbitrary<Session> = fc.constantFrom<ProtocolName>('json', 'messagepack').chain((protocol) =>
  fc.record({
    via: fc.constantFrom<Session['via']>('skip', 'negotiated', 'stateful'),
    protocol: fc.constant(protocol),
    handshake: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom<Session['handshake']>('valid', 'split') },
      { weight: 1, arbitrary: fc.constantFrom<Session['handshake']>('garbage', 'none', 'unknown-protocol', 'version-3', 'invalid-utf8') },
    ),
    frames: framesFor(protocol),
    raw: fc.option(bytes(64), { freq: 6, nil: undefined }),
    end: fc.constantFrom<Session['end']>('terminate', 'close', 'close-4000', 'linger'),
  }),
);

/** What the session sends as its handshake, as frames. */
function handshakeFrames(s: Session): Buffer[] {
  const version = s.via === 'stateful' ? 2 : 1;
  const request = (protocol: string, v: number) => Buffer.from(`{"protocol":"${protocol}","version":${v}}\u001e`);
  switch (s.handshake) {
    case 'valid':
      return [request(s.protocol, version)];
    case 'split': {
      const whole = request(s.protocol, version);
      return [whole.subarray(0, 7), whole.subarray(7)];
    }
    case 'garbage':
      return [Buffer.from('{"protocol":\u001e')];
    case 'none':
      return [];
    case 'unknown-protocol':
      return [request('xml', 1)];
    case 'version-3':
      return [request(s.protocol, 3)];
    case 'invalid-utf8':
      return [Buffer.concat([Buffer.from(`{"protocol":"${s.protocol}","version":1,"x":"`), Buffer.from([0xc0, 0xaf]), Buffer.from('"}\u001e')])];
  }
}

/** Fails unless `frames` (what the server sent) are whole, well-formed messages of `protocol`. */
function assertWellFormed(protocol: HubProtocol, frames: readonly { binary: boolean; data: Buffer }[]): void {
  frames.forEach((frame, index) => {
    let data = frame.data;
    // The handshake response (always JSON) comes first, alone in its frame.
    if (index === 0 && data[0] === 0x7b) {
      assert.equal(data.indexOf(0x1e), data.length - 1, `the handshake response must be alone in its frame: ${data.toString()}`);
      assert.equal(typeof JSON.parse(data.subarray(0, -1).toString()), 'object');
      return;
    }
    if (protocol.transferFormat === 'Text') {
      assert.equal(frame.binary, false, 'JSON protocol frames must be text frames');
      assert.equal(data[data.length - 1], 0x1e, `a frame must hold whole messages: ${data.toString()}`);
      for (const part of data.subarray(0, -1).toString().split('\u001e')) assert.equal(typeof JSON.parse(part), 'object');
      return;
    }
    assert.equal(frame.binary, true, 'MessagePack frames must be binary frames');
    data = Buffer.from(data);
    const parsed = protocol.parse(data, null);
    assert.equal(parsed.error, undefined, `the server sent a malformed MessagePack frame: ${data.toString('hex')}`);
    assert.equal(parsed.consumed, data.length, `a frame must hold whole messages: ${data.toString('hex')}`);
  });
}

describe('hostile WebSocket sessions', () => {
  let server: TestServer & ErrorLog;
  let canaries: Canaries;
  const lingering: WebSocket[] = [];

  before(async () => {
    server = await startFuzzServer();
    canaries = await Canaries.open(server);
  });
  after(async () => {
    for (const socket of lingering) socket.terminate();
    await canaries?.stop();
    await within(server.close(), 10_000, 'the server to close');
  });

  async function url(s: Session): Promise<string> {
    if (s.via === 'skip') return server.wsUrl('/hub');
    const query = s.via === 'stateful' ? 'negotiateVersion=1&useStatefulReconnect=true' : 'negotiateVersion=1';
    const res = await within(fetch(server.url(`/hub/negotiate?${query}`), { method: 'POST' }), 5000, 'negotiate');
    const { connectionToken } = (await res.json()) as { connectionToken: string };
    return server.wsUrl(`/hub?id=${connectionToken}`);
  }

  async function play(s: Session): Promise<void> {
    const socket = new WebSocket(await url(s));
    const received: { binary: boolean; data: Buffer }[] = [];
    socket.on('message', (data: Buffer, binary: boolean) => received.push({ binary, data }));
    socket.on('error', () => undefined); // a server that refuses broken framing may reset the socket
    const closed = once(socket, 'close');
    await within(once(socket, 'open'), 5000, 'the WebSocket to open');
    const sendFrame = (data: Uint8Array, binary: boolean) =>
      new Promise<void>((resolve) => (socket.readyState === WebSocket.OPEN ? socket.send(data, { binary }, () => resolve()) : resolve()));
    for (const frame of handshakeFrames(s)) await sendFrame(frame, false);
    for (const frame of s.frames) await sendFrame(frame.data, frame.binary);
    // A ping's pong proves the server read everything before it (frames are handled in order).
    if (socket.readyState === WebSocket.OPEN) {
      const pong = once(socket, 'pong');
      socket.ping();
      await within(Promise.race([pong, closed]), 5000, 'a pong or the close');
    }
    // Last, as a broken frame header may leave the server waiting for a frame that never ends.
    const tcp = (socket as unknown as { _socket?: Socket })._socket;
    const broken = s.raw !== undefined && tcp !== undefined && socket.readyState === WebSocket.OPEN;
    if (broken) tcp.write(s.raw!);
    if (s.end === 'linger') lingering.push(socket);
    else if (s.end === 'terminate') socket.terminate();
    else if (socket.readyState === WebSocket.OPEN) {
      socket.close(s.end === 'close' ? 1000 : 4000);
      // After broken framing the server may read the close frame as the rest of a frame it waits for.
      if (broken) await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 500))]).then(() => socket.terminate());
    }
    if (s.end !== 'linger') await within(closed, 5000, 'the WebSocket to close');
    assertWellFormed(s.protocol === 'json' ? jsonHubProtocol : messagePackHubProtocol, received);
  }

  test('sessions never break the server, its output or other connections', async (t) => {
    let batch = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(session, { minLength: 1, maxLength: 5 }), async (sessions) => {
        await Promise.all(sessions.map(play));
        if (++batch % 5 === 0) await canaries.check(`after batch ${batch}`);
      }),
      { seed: SUITE_SEED, numRuns: 30 },
    );
    await canaries.check('after the run');
    for (const socket of lingering.splice(0)) socket.terminate();
    const alive = canaries.connections.length;
    // Stateful-reconnect connections lost without a close frame wait disconnectTimeout for their client.
    await until(() => server.hubwire.connectionCount('/hub') === alive, 10_000, 'only the canaries to stay connected');
    await canaries.check('after the sessions ended');
    assert.deepEqual(server.errors, [], 'the library logged internal failures');
    // The traffic reached every stage: handshakes both ways, invocations, protocol errors.
    const totals = (server.hubwire.metrics as CounterMetrics).byLabel('hub', '/hub');
    t.diagnostic(`metrics of /hub: ${JSON.stringify(totals)}`);
    for (const name of ['connectionsOpened', 'handshakeFailures', 'invocations', 'invocationErrors', 'protocolErrors'] as const) {
      assert.ok((totals[name] ?? 0) > 0, `no ${name} in ${JSON.stringify(totals)}`);
    }
  });
});
