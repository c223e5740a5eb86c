/**
 * Conformance: hub messages and invocation semantics, JSON over WebSockets, with a raw client.
 * Reference: signalr-protocol.md §5.1, §7.1, §7.2, §8, §11.4, §12, §15.2 (T6-T9), §15.4.
 * Streaming and upload streams are covered in streaming.test.ts, stateful reconnect in
 * stateful-reconnect.test.ts.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonStream, framed, roundTrip } from '../support/json-stream.js';
import { RawClient, RS } from '../support/raw-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until } from '../support/wait.js';
import { CLOSE_WITH_ERROR, RefusingHub, invocation, openJson, startConformanceServer, type ConformanceServer } from './fixtures.js';

/** Expects `message` next, then the socket to close with 1000 and nothing after the message. */
async function expectCloseMessage(stream: JsonStream, message: string): Promise<void> {
  assert.equal(await stream.next(), message);
  assert.equal(await stream.closed(), 1000);
  assert.equal(stream.pending, 0, 'nothing may follow a Close message');
}

/** An invocation of `echo` whose framed size is exactly `size` bytes. */
function echoOfFramedSize(size: number, invocationId = '1'): string {
  const head = `{"type":1,"invocationId":"${invocationId}","target":"echo","arguments":["`;
  const tail = `"]}${RS}`;
  const message = head + 'x'.repeat(size - head.length - tail.length) + tail;
  assert.equal(Buffer.byteLength(message), size);
  return message;
}

describe('invocations (detailed errors off)', () => {
  let server: ConformanceServer;
  let stream: JsonStream;
  let next = 100;
  /** A fresh invocation id per call so a stale Completion can never pass for a new one. */
  const id = (): string => String(next++);

  before(async () => {
    server = await startConformanceServer();
  });
  after(() => server.close());
  // A connection per test, so one failure cannot leave stray messages for the next test.
  beforeEach(async () => {
    server.state.log.length = 0;
    stream = await openJson(server.hubWs());
  });
  afterEach(() => stream.client.close());

  /** Sends a blocking `add` and asserts that the very next message is its Completion. */
  async function assertNextIsBarrier(): Promise<void> {
    const barrier = id();
    stream.send(framed(invocation('add', [1, 1], barrier)));
    assert.equal(await stream.next(), `{"type":3,"invocationId":"${barrier}","result":2}`);
  }

  test('M1: a value-returning method gets a Completion with result', async () => {
    stream.send(framed(invocation('add', [40, 2], '1')));
    assert.equal(await stream.next(), '{"type":3,"invocationId":"1","result":42}');
  });

  test('M1: a void method gets a Completion without result', async () => {
    stream.send(framed(invocation('nothing', [], '2')));
    assert.equal(await stream.next(), '{"type":3,"invocationId":"2"}');
  });

  test('M1: a method returning null gets "result":null', async () => {
    stream.send(framed(invocation('nullResult', [], '3')));
    assert.equal(await stream.next(), '{"type":3,"invocationId":"3","result":null}');
  });

  for (const target of ['bigResult', 'circularResult']) {
    test(`§8.1: a result that cannot be serialized (${target}) still ends the call: an error Completion or a Close`, async () => {
      // The barrier behind it makes a missing reply fail fast instead of timing out.
      stream.send(framed(invocation(target, [], 'u'), invocation('add', [1, 1], 'barrier')));
      const reply = JSON.parse(await stream.next()) as { type: number; invocationId?: string; error?: string };
      if (reply.type === 3) {
        assert.equal(reply.invocationId, 'u', `call 'u' got no Completion: the next message was ${JSON.stringify(reply)}`);
        assert.equal(typeof reply.error, 'string', 'the Completion must carry an error');
      } else {
        assert.equal(reply.type, 7, `expected a Completion or a Close, got ${JSON.stringify(reply)}`);
      }
    });
  }

  test('M1: async methods, objects and strings round-trip as JSON', async () => {
    stream.send(framed(invocation('addAsync', [2, 3], 'a'), invocation('echo', [{ k: [1, 'two', null], s: 'é\u001e' }], 'b')));
    assert.equal(await stream.next(), '{"type":3,"invocationId":"a","result":5}');
    // A raw record separator inside JSON must be escaped (§5.1).
    assert.equal(await stream.next(), '{"type":3,"invocationId":"b","result":{"k":[1,"two",null],"s":"é\\u001e"}}');
  });

  test('M2: a non-blocking call runs but gets no reply', async () => {
    stream.send(framed(invocation('record', ['sent-1'])));
    await assertNextIsBarrier();
    assert.deepEqual(server.state.log, ['sent-1']);
  });

  test('M2: a non-blocking call gets no reply when it throws, is unknown or has wrong arguments', async () => {
    stream.send(framed(invocation('fail', [])));
    stream.send(framed(invocation('hubFail', [])));
    stream.send(framed(invocation('noSuchMethod', [1])));
    stream.send(framed(invocation('add', [1])));
    stream.send(framed(invocation('add', [1, 2, 3])));
    await assertNextIsBarrier();
  });

  test('M27: invocationId "" is non-blocking, on success and on failure', async () => {
    stream.send(framed('{"type":1,"invocationId":"","target":"record","arguments":["empty-id"]}'));
    stream.send(framed('{"type":1,"invocationId":"","target":"fail","arguments":[]}'));
    stream.send(framed('{"type":1,"invocationId":"","target":"noSuchMethod","arguments":[]}'));
    await assertNextIsBarrier();
    assert.deepEqual(server.state.log, ['empty-id']);
  });

  test('M3: an unknown method gets the "Method does not exist." error, naming the target as sent', async () => {
    stream.send(framed(invocation('NoSuchMethod', [1, 2], '4')));
    assert.equal(
      await stream.next(),
      JSON.stringify({ type: 3, invocationId: '4', error: "Failed to invoke 'NoSuchMethod' due to an error on the server. HubException: Method does not exist." }),
    );
  });

  test('M3: base-class members and lifecycle hooks are not invocable', async () => {
    for (const target of ['onConnected', 'onDisconnected', 'constructor', 'context']) {
      const invocationId = id();
      stream.send(framed(invocation(target, [], invocationId)));
      assert.equal(
        await stream.next(),
        JSON.stringify({ type: 3, invocationId, error: `Failed to invoke '${target}' due to an error on the server. HubException: Method does not exist.` }),
      );
    }
  });

  test('M4: method names match case-insensitively', async () => {
    stream.send(framed(invocation('ADD', [1, 2], '5'), invocation('aDd', [2, 2], '6'), invocation('NULLRESULT', [], '7')));
    assert.equal(await stream.next(), '{"type":3,"invocationId":"5","result":3}');
    assert.equal(await stream.next(), '{"type":3,"invocationId":"6","result":4}');
    assert.equal(await stream.next(), '{"type":3,"invocationId":"7","result":null}');
  });

  test('M5: too few and too many arguments get the bare binding text', async () => {
    stream.send(framed(invocation('add', [1], '8'), invocation('add', [1, 2, 3], '9')));
    assert.equal(await stream.next(), JSON.stringify({ type: 3, invocationId: '8', error: "Failed to invoke 'add' due to an error on the server." }));
    assert.equal(await stream.next(), JSON.stringify({ type: 3, invocationId: '9', error: "Failed to invoke 'add' due to an error on the server." }));
  });

  test('M6: a plain error hides its message; a HubError shows it', async () => {
    stream.send(framed(invocation('fail', [], '10'), invocation('failAsync', [], '11'), invocation('failType', [], '12'), invocation('hubFail', [], '13')));
    assert.equal(await stream.next(), JSON.stringify({ type: 3, invocationId: '10', error: "An unexpected error occurred invoking 'fail' on the server." }));
    assert.equal(await stream.next(), JSON.stringify({ type: 3, invocationId: '11', error: "An unexpected error occurred invoking 'failAsync' on the server." }));
    assert.equal(await stream.next(), JSON.stringify({ type: 3, invocationId: '12', error: "An unexpected error occurred invoking 'failType' on the server." }));
    assert.equal(
      await stream.next(),
      JSON.stringify({ type: 3, invocationId: '13', error: "An unexpected error occurred invoking 'hubFail' on the server. HubException: Not allowed." }),
    );
  });

  test('M8: a StreamInvocation of a non-streaming method gets the exact error', async () => {
    stream.send(framed('{"type":4,"invocationId":"14","target":"add","arguments":[1,2]}'));
    assert.equal(
      await stream.next(),
      JSON.stringify({ type: 3, invocationId: '14', error: "The client attempted to invoke the non-streaming 'add' method with a streaming invocation." }),
    );
  });

  test('M16: an unknown message type is ignored and the invocation after it in the same frame processed', async () => {
    stream.send(framed('{"type":99}', '{"type":99,"target":"x","whatever":[1]}', invocation('add', [3, 4], '15')));
    assert.equal(await stream.next(), '{"type":3,"invocationId":"15","result":7}');
  });

  test('M16: an unknown message type followed by a Ping in the same frame: both swallowed, connection fine', async () => {
    stream.send(framed('{"type":99}', '{"type":6}'));
    await assertNextIsBarrier();
  });

  test('M25: a Ping gets no reply', async () => {
    stream.send(framed('{"type":6}'));
    await assertNextIsBarrier();
  });

  test('M24: Ack and Sequence on a connection without stateful reconnect are ignored', async () => {
    stream.send(framed('{"type":8,"sequenceId":1}', '{"type":9,"sequenceId":5}'));
    await assertNextIsBarrier();
  });

  test('M14: Completion, StreamItem and CancelInvocation for unknown ids are ignored', async () => {
    stream.send(
      framed('{"type":3,"invocationId":"nope","result":1}', '{"type":3,"invocationId":"nope2"}', '{"type":2,"invocationId":"nope","item":1}', '{"type":5,"invocationId":"nope"}'),
    );
    await assertNextIsBarrier();
  });

  test('M20: headers on an invocation are accepted', async () => {
    stream.send(framed('{"type":1,"invocationId":"16","target":"add","arguments":[1,2],"headers":{"a":"b","trace":"x-1"}}'));
    assert.equal(await stream.next(), '{"type":3,"invocationId":"16","result":3}');
  });

  test('M21: keys in unusual order (type first, arguments before target) work', async () => {
    stream.send(framed('{"type":1,"arguments":[5,6],"invocationId":"17","target":"add"}'));
    assert.equal(await stream.next(), '{"type":3,"invocationId":"17","result":11}');
  });

  test('unknown properties on a hub message are ignored', async () => {
    stream.send(framed('{"type":1,"invocationId":"18","target":"add","arguments":[1,2],"future":{"x":1}}'));
    assert.equal(await stream.next(), '{"type":3,"invocationId":"18","result":3}');
  });

  test('T7: several messages in one frame are processed in order', async () => {
    stream.send(framed(invocation('record', ['one']), invocation('echo', ['two'], '19'), invocation('record', ['three']), invocation('nothing', [], '20')));
    assert.equal(await stream.next(), '{"type":3,"invocationId":"19","result":"two"}');
    assert.equal(await stream.next(), '{"type":3,"invocationId":"20"}');
    assert.deepEqual(server.state.log, ['one', 'three']);
  });

  test('T8: one message split across two frames is processed once complete', async () => {
    const message = framed(invocation('add', [7, 8], '21'));
    stream.send(message.slice(0, 20));
    await roundTrip(stream.client);
    assert.equal(stream.pending, 0);
    stream.send(message.slice(20));
    assert.equal(await stream.next(), '{"type":3,"invocationId":"21","result":15}');
  });

  test('T8: a frame ending with a partial message: the whole ones run now, the rest when it completes', async () => {
    const second = framed(invocation('add', [2, 2], '23'));
    stream.send(framed(invocation('add', [1, 1], '22')) + second.slice(0, 10));
    assert.equal(await stream.next(), '{"type":3,"invocationId":"22","result":2}');
    stream.send(second.slice(10));
    assert.equal(await stream.next(), '{"type":3,"invocationId":"23","result":4}');
  });

  test('T9: JSON in a binary frame is parsed normally, and the reply is a text frame', async () => {
    stream.send(framed(invocation('add', [9, 9], '24')), true);
    assert.equal(await stream.next(), '{"type":3,"invocationId":"24","result":18}');
  });

  test('M19: a message of exactly 32768 framed bytes is accepted', async () => {
    const message = echoOfFramedSize(32_768, '25');
    stream.send(message);
    const reply = JSON.parse(await stream.next()) as { invocationId: string; result: string };
    assert.equal(reply.invocationId, '25');
    assert.equal(reply.result, (JSON.parse(message.slice(0, -1)) as { arguments: [string] }).arguments[0]);
  });

  test('M19: several small messages in one frame larger than 32 KB are fine', async () => {
    const messages = Array.from({ length: 10 }, (_, i) => echoOfFramedSize(5_000, `big${i}`));
    stream.send(messages.join(''));
    for (let i = 0; i < 10; i++) assert.equal((JSON.parse(await stream.next()) as { invocationId: string }).invocationId, `big${i}`);
  });
});

describe('protocol errors close the connection with Close(err, allowReconnect)', () => {
  let server: ConformanceServer;
  before(async () => {
    server = await startConformanceServer();
  });
  after(() => server.close());
  beforeEach(() => {
    server.state.log.length = 0;
  });

  const cases: [string, string][] = [
    ['M17: malformed JSON', framed('{"type":1,')],
    ['M17: a message that is not an object', framed('[1,2]')],
    ['M17: missing type', framed('{"invocationId":"1","target":"add","arguments":[1,2]}')],
    ['M17: type not a number', framed('{"type":"1","invocationId":"1","target":"add","arguments":[1,2]}')],
    ['M18: Invocation without target', framed('{"type":1,"invocationId":"1","arguments":[1,2]}')],
    ['M18: Invocation without arguments', framed('{"type":1,"invocationId":"1","target":"add"}')],
    ['M18: Invocation with arguments not an array', framed('{"type":1,"invocationId":"1","target":"add","arguments":{"0":1}}')],
    ['M18: Invocation with a non-string invocationId', framed('{"type":1,"invocationId":1,"target":"add","arguments":[1,2]}')],
    ['M18: Completion with both result and error', framed('{"type":3,"invocationId":"1","result":1,"error":"x"}')],
    ['M18: Completion without invocationId', framed('{"type":3,"result":1}')],
    ['M18: StreamItem without item', framed('{"type":2,"invocationId":"1"}')],
    ['M18: StreamInvocation without invocationId', framed('{"type":4,"target":"add","arguments":[1,2]}')],
    ['M18: CancelInvocation without invocationId', framed('{"type":5}')],
    ['M18: Ack without sequenceId', framed('{"type":8}')],
    ['M20: a non-string header value', framed('{"type":1,"invocationId":"1","target":"add","arguments":[1,2],"headers":{"a":1}}')],
    ['M20: headers not an object', framed('{"type":1,"invocationId":"1","target":"add","arguments":[1,2],"headers":"a"}')],
    ['M19: a message of 32769 framed bytes', echoOfFramedSize(32_769)],
    ['M19: more than 32768 bytes without a record separator', `{"type":1,"target":"echo","arguments":["${'x'.repeat(33_000)}`],
  ];

  for (const [name, payload] of cases) {
    test(`${name} → Close(err, allowReconnect) then close 1000`, async () => {
      const stream = await openJson(server.hubWs());
      stream.send(payload);
      await expectCloseMessage(stream, CLOSE_WITH_ERROR);
    });
  }

  test('M19: the oversize limit also applies to bytes buffered over several frames', async () => {
    const stream = await openJson(server.hubWs());
    stream.send('{"type":1,"target":"echo","arguments":["');
    for (let i = 0; i < 4; i++) stream.send('x'.repeat(9_000));
    await expectCloseMessage(stream, CLOSE_WITH_ERROR);
  });

  test('messages before the bad one in the same frame are dispatched; nothing after it is', async () => {
    const stream = await openJson(server.hubWs());
    stream.send(framed(invocation('record', ['before-garbage']), '{"type":1,', invocation('record', ['after-garbage'], '2')));
    await expectCloseMessage(stream, CLOSE_WITH_ERROR);
    assert.deepEqual(server.state.log, ['before-garbage']);
  });

  test('data sent after the Close is ignored', async () => {
    const stream = await openJson(server.hubWs());
    stream.send(framed('{"type":"x"}'));
    stream.send(framed(invocation('record', ['too-late'], '1')));
    await expectCloseMessage(stream, CLOSE_WITH_ERROR);
    assert.deepEqual(server.state.log, []);
  });

  test('a bad connection never disturbs another one on the same hub, and the server keeps serving', async () => {
    const good = await openJson(server.hubWs());
    try {
      for (const garbage of [framed('{"type":1,'), `\u0000\u00ff${RS}`, framed('{"type":7,"error":5}'), framed('null'), `${'{'.repeat(5000)}${RS}`]) {
        const bad = await openJson(server.hubWs());
        bad.send(garbage);
        assert.equal(await bad.next(), CLOSE_WITH_ERROR, JSON.stringify(garbage.slice(0, 20)));
        await bad.closed();
        good.send(framed(invocation('add', [2, 2], 'g')));
        assert.equal(await good.next(), '{"type":3,"invocationId":"g","result":4}');
      }
      const fresh = await openJson(server.hubWs());
      try {
        fresh.send(framed(invocation('add', [5, 5], 'f')));
        assert.equal(await fresh.next(), '{"type":3,"invocationId":"f","result":10}');
      } finally {
        fresh.client.close();
      }
    } finally {
      good.client.close();
    }
  });

  test('a protocol error reaches onDisconnected with an error', async () => {
    const own = await startConformanceServer();
    try {
      const stream = await openJson(own.hubWs());
      stream.send(framed('{"type":1,'));
      await expectCloseMessage(stream, CLOSE_WITH_ERROR);
      await until(() => own.state.disconnects.length === 1, 5000, 'onDisconnected');
      assert.ok(own.state.disconnects[0] instanceof Error);
    } finally {
      await own.close();
    }
  });
});

describe('detailed errors on', () => {
  let server: ConformanceServer;
  let stream: JsonStream;
  before(async () => {
    server = await startConformanceServer({ enableDetailedErrors: true });
  });
  after(() => server.close());
  beforeEach(async () => {
    stream = await openJson(server.hubWs());
  });
  afterEach(() => stream.client.close());

  test('M5: wrong argument counts append the InvalidDataException text', async () => {
    stream.send(framed(invocation('add', [1], '1'), invocation('add', [1, 2, 3], '2'), invocation('nothing', [1], '3')));
    assert.equal(
      await stream.next(),
      JSON.stringify({ type: 3, invocationId: '1', error: "Failed to invoke 'add' due to an error on the server. InvalidDataException: Invocation provides 1 argument(s) but target expects 2." }),
    );
    assert.equal(
      await stream.next(),
      JSON.stringify({ type: 3, invocationId: '2', error: "Failed to invoke 'add' due to an error on the server. InvalidDataException: Invocation provides 3 argument(s) but target expects 2." }),
    );
    assert.equal(
      await stream.next(),
      JSON.stringify({ type: 3, invocationId: '3', error: "Failed to invoke 'nothing' due to an error on the server. InvalidDataException: Invocation provides 1 argument(s) but target expects 0." }),
    );
  });

  test('M3: the unknown-method text is the same with detailed errors', async () => {
    stream.send(framed(invocation('nope', [], '4')));
    assert.equal(
      await stream.next(),
      JSON.stringify({ type: 3, invocationId: '4', error: "Failed to invoke 'nope' due to an error on the server. HubException: Method does not exist." }),
    );
  });

  test('M6: thrown errors append "<ErrorClassName>: <message>"; a HubError still shows as HubException', async () => {
    stream.send(framed(invocation('fail', [], '5'), invocation('failAsync', [], '6'), invocation('failType', [], '7'), invocation('hubFail', [], '8')));
    assert.equal(await stream.next(), JSON.stringify({ type: 3, invocationId: '5', error: "An unexpected error occurred invoking 'fail' on the server. Error: boom" }));
    assert.equal(await stream.next(), JSON.stringify({ type: 3, invocationId: '6', error: "An unexpected error occurred invoking 'failAsync' on the server. Error: async boom" }));
    assert.equal(await stream.next(), JSON.stringify({ type: 3, invocationId: '7', error: "An unexpected error occurred invoking 'failType' on the server. TypeError: bad type" }));
    assert.equal(
      await stream.next(),
      JSON.stringify({ type: 3, invocationId: '8', error: "An unexpected error occurred invoking 'hubFail' on the server. HubException: Not allowed." }),
    );
  });

  test('M6: an Error subclass is reported by its class name', async () => {
    stream.send(framed(invocation('failCustom', [], '9')));
    assert.equal(
      await stream.next(),
      JSON.stringify({ type: 3, invocationId: '9', error: "An unexpected error occurred invoking 'failCustom' on the server. QuotaError: quota exceeded" }),
    );
  });

  test('M19: an oversize message closes with the detailed size text', async () => {
    const bad = await openJson(server.hubWs());
    bad.send(echoOfFramedSize(32_769));
    await expectCloseMessage(
      bad,
      JSON.stringify({
        type: 7,
        error: 'Connection closed with an error. InvalidDataException: The maximum message size of 32768B was exceeded. The message size can be configured in AddHubOptions.',
        allowReconnect: true,
      }),
    );
  });

  test('M17/M18: protocol errors close with the detailed parser text', async () => {
    for (const [payload, detail] of [
      ['{"type":1,', 'InvalidDataException: Error reading JSON.'],
      ['{"target":"add"}', "InvalidDataException: Missing required property 'type'."],
      ['{"type":3,"invocationId":"1","result":1,"error":"x"}', "InvalidDataException: The 'error' and 'result' properties are mutually exclusive."],
    ] as const) {
      const bad = await openJson(server.hubWs());
      bad.send(framed(payload));
      await expectCloseMessage(bad, JSON.stringify({ type: 7, error: `Connection closed with an error. ${detail}`, allowReconnect: true }));
    }
  });
});

describe('message size option', () => {
  test('a custom maximumReceiveMessageSize is honoured', async () => {
    const server = await startConformanceServer({}, { maximumReceiveMessageSize: 1_000 });
    try {
      const stream = await openJson(server.hubWs());
      stream.send(echoOfFramedSize(1_000, '1'));
      assert.equal((JSON.parse(await stream.next()) as { invocationId: string }).invocationId, '1');
      stream.send(echoOfFramedSize(1_001, '2'));
      await expectCloseMessage(stream, CLOSE_WITH_ERROR);
    } finally {
      await server.close();
    }
  });

  test('maximumReceiveMessageSize: null lifts the limit', async () => {
    const server = await startConformanceServer({}, { maximumReceiveMessageSize: null });
    try {
      const stream = await openJson(server.hubWs());
      try {
        stream.send(echoOfFramedSize(100_000, '1'));
        assert.equal((JSON.parse(await stream.next()) as { invocationId: string }).invocationId, '1');
      } finally {
        stream.client.close();
      }
    } finally {
      await server.close();
    }
  });
});

describe('parallelism', () => {
  test('M23: with maximumParallelInvocationsPerClient 1, B starts only after A finished; completions in order', async () => {
    const server = await startConformanceServer();
    const other = await openJson(server.hubWs());
    const stream = await openJson(server.hubWs());
    try {
      stream.send(framed(invocation('slow', ['A'], 'a'), invocation('fast', ['B'], 'b')));
      await until(() => server.state.log.includes('start:A'), 5000, 'A to start');
      // Give B every chance to start wrongly: a full round trip on another connection.
      other.send(framed(invocation('add', [1, 1], 'x')));
      assert.equal(await other.next(), '{"type":3,"invocationId":"x","result":2}');
      await roundTrip(stream.client);
      assert.deepEqual(server.state.log, ['start:A']);
      assert.equal(stream.pending, 0);
      server.state.gate('A').open();
      assert.equal(await stream.next(), '{"type":3,"invocationId":"a","result":"A"}');
      assert.equal(await stream.next(), '{"type":3,"invocationId":"b","result":"B"}');
      assert.deepEqual(server.state.log, ['start:A', 'end:A', 'start:B', 'end:B']);
    } finally {
      other.client.close();
      stream.client.close();
      await server.close();
    }
  });

  test('M23: head-of-line blocking also holds back non-blocking calls behind a busy slot', async () => {
    const server = await startConformanceServer();
    const stream = await openJson(server.hubWs());
    try {
      stream.send(framed(invocation('slow', ['A'], 'a'), invocation('record', ['queued'])));
      await until(() => server.state.log.includes('start:A'), 5000, 'A to start');
      await roundTrip(stream.client);
      assert.deepEqual(server.state.log, ['start:A']);
      server.state.gate('A').open();
      assert.equal(await stream.next(), '{"type":3,"invocationId":"a","result":"A"}');
      stream.send(framed(invocation('add', [0, 0], 'z')));
      assert.equal(await stream.next(), '{"type":3,"invocationId":"z","result":0}');
      assert.deepEqual(server.state.log, ['start:A', 'end:A', 'queued']);
    } finally {
      stream.client.close();
      await server.close();
    }
  });

  test('with maximumParallelInvocationsPerClient 2, B runs while A waits', async () => {
    const server = await startConformanceServer({}, { maximumParallelInvocationsPerClient: 2 });
    const stream = await openJson(server.hubWs());
    try {
      stream.send(framed(invocation('slow', ['A'], 'a'), invocation('fast', ['B'], 'b')));
      assert.equal(await stream.next(), '{"type":3,"invocationId":"b","result":"B"}');
      server.state.gate('A').open();
      assert.equal(await stream.next(), '{"type":3,"invocationId":"a","result":"A"}');
      assert.deepEqual(server.state.log, ['start:A', 'start:B', 'end:B', 'end:A']);
    } finally {
      stream.client.close();
      await server.close();
    }
  });
});

describe('close', () => {
  let server: ConformanceServer;
  before(async () => {
    server = await startConformanceServer();
  });
  after(() => server.close());

  test('M26: a client Close is answered {"type":7} and the socket closed; onDisconnected gets no error', async () => {
    server.state.disconnects.length = 0;
    const stream = await openJson(server.hubWs());
    stream.send(framed(invocation('add', [1, 1], '1')));
    assert.equal(await stream.next(), '{"type":3,"invocationId":"1","result":2}');
    stream.send(framed('{"type":7}'));
    await expectCloseMessage(stream, '{"type":7}');
    await until(() => server.state.disconnects.length === 1, 5000, 'onDisconnected');
    assert.equal(server.state.disconnects[0], undefined);
  });

  test('M26: a client Close with an error is answered {"type":7} too', async () => {
    const stream = await openJson(server.hubWs());
    stream.send(framed('{"type":7,"error":"client going away","allowReconnect":true}'));
    await expectCloseMessage(stream, '{"type":7}');
  });

  test('messages after a client Close in the same frame are not processed', async () => {
    server.state.log.length = 0;
    const stream = await openJson(server.hubWs());
    stream.send(framed('{"type":7}', invocation('record', ['after-close'], '1')));
    await expectCloseMessage(stream, '{"type":7}');
    assert.deepEqual(server.state.log, []);
  });
});

describe('onConnected failure', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer((hubwire) => {
      hubwire.mapHub('/refusing', RefusingHub);
      hubwire.mapHub('/refusing-detailed', RefusingHub, { enableDetailedErrors: true });
    });
  });
  after(() => server.close());

  test('M29: onConnected throwing → {} then {"type":7,"error":"Connection closed with an error."} without allowReconnect', async () => {
    const client = await RawClient.connect(server.wsUrl('/refusing'));
    const stream = new JsonStream(client);
    stream.send(framed('{"protocol":"json","version":1}', invocation('add', [1, 2], '1')));
    assert.equal(await stream.next(), '{}');
    await expectCloseMessage(stream, '{"type":7,"error":"Connection closed with an error."}');
  });

  test('M29: with detailed errors the Close carries the error type and message', async () => {
    const stream = new JsonStream(await RawClient.connect(server.wsUrl('/refusing-detailed')));
    stream.send(framed('{"protocol":"json","version":1}'));
    assert.equal(await stream.next(), '{}');
    await expectCloseMessage(stream, '{"type":7,"error":"Connection closed with an error. Error: no entry"}');
  });
});
