import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MessageType, type HubMessage } from '../messages.js';
import { jsonHubProtocol } from './json-hub-protocol.js';

const RS = '\u001e';
const parse = (text: string, max: number | null = 32_768) => jsonHubProtocol.parse(Buffer.from(text), max);

describe('json hub protocol: parse', () => {
  test('reads the byte-exact client messages of the reference (JS client 10.0.11)', () => {
    const { messages, consumed, error } = parse(
      `{"target":"Add","arguments":[40,2],"invocationId":"0","type":1}${RS}` +
        `{"target":"Send","arguments":["x"],"type":1}${RS}` +
        `{"invocationId":"s1","result":null,"type":3}${RS}` +
        `{"invocationId":"1","type":3}${RS}` +
        `{"type":6}${RS}{"type":7}${RS}{"type":8,"sequenceId":36}${RS}`,
    );
    assert.equal(error, undefined);
    assert.equal(messages.length, 7);
    assert.deepEqual(messages[0], { type: 1, invocationId: '0', target: 'Add', arguments: [40, 2], streamIds: undefined, headers: undefined });
    assert.equal((messages[1] as { invocationId?: string }).invocationId, undefined);
    assert.deepEqual(messages[2], { type: 3, invocationId: 's1', hasResult: true, result: null, error: undefined, headers: undefined });
    assert.equal((messages[3] as { hasResult: boolean }).hasResult, false);
    assert.deepEqual(messages[6], { type: 8, sequenceId: 36 });
    assert.ok(consumed > 0);
  });

  test('accepts keys in any order (v8 clients write them alphabetically)', () => {
    const { messages } = parse(`{"arguments":[1],"invocationId":"0","target":"Add","type":1}${RS}`);
    assert.equal((messages[0] as { target: string }).target, 'Add');
  });

  test('keeps an incomplete trailing message for later', () => {
    const text = `{"type":6}${RS}{"type":1,"tar`;
    const { messages, consumed } = parse(text);
    assert.equal(messages.length, 1);
    assert.equal(consumed, `{"type":6}${RS}`.length);
  });

  test('skips unknown message types and goes on', () => {
    const { messages, error } = parse(`{"type":99}${RS}{"type":6}${RS}`);
    assert.equal(error, undefined);
    assert.deepEqual(messages, [{ type: 6 }]);
  });

  test('an empty invocationId means fire-and-forget', () => {
    const { messages } = parse(`{"type":1,"invocationId":"","target":"a","arguments":[]}${RS}`);
    assert.equal('invocationId' in messages[0]!, false);
  });

  const invalid: [string, string][] = [
    ['not json', 'Error reading JSON.'],
    ['[1,2]', "Unexpected JSON Token Type 'Array'. Expected a JSON Object."],
    ['{"target":"a"}', "Missing required property 'type'."],
    ['{"type":"1"}', "Expected 'type' to be of type Integer."],
    ['{"type":1,"arguments":[]}', "Missing required property 'target'."],
    ['{"type":1,"target":"a"}', "Missing required property 'arguments'."],
    ['{"type":4,"target":"a","arguments":[]}', "Missing required property 'invocationId'."],
    ['{"type":2,"invocationId":"1"}', "Missing required property 'item'."],
    ['{"type":3,"invocationId":"1","result":1,"error":"x"}', "The 'error' and 'result' properties are mutually exclusive."],
    ['{"type":1,"target":"a","arguments":[],"headers":{"k":1}}', "Expected header 'k' to be of type String."],
    ['{"type":8}', "Missing required property 'sequenceId'."],
  ];
  for (const [text, expected] of invalid) {
    test(`reports ${JSON.stringify(text)} as "${expected}" after the valid messages before it`, () => {
      const { messages, error } = parse(`{"type":6}${RS}${text}${RS}`);
      assert.deepEqual(messages, [{ type: 6 }]);
      assert.equal(error?.message, expected);
      assert.equal(error?.code, 'HUB_ERR_PROTOCOL');
    });
  }

  test('enforces the size limit on framed messages: 32 768 bytes pass, 32 769 do not', () => {
    const frame = (size: number) => {
      const head = '{"type":1,"target":"a","arguments":["';
      const tail = `"]}${RS}`;
      return head + 'x'.repeat(size - head.length - tail.length) + tail;
    };
    assert.equal(parse(frame(32_768)).error, undefined);
    assert.match(parse(frame(32_769)).error?.message ?? '', /^The maximum message size of 32768B was exceeded/);
    // No separator within the limit fails without waiting for more input.
    assert.ok(parse('x'.repeat(32_768)).error);
    assert.equal(parse('x'.repeat(32_767)).error, undefined);
    assert.equal(parse(frame(100_000), null).error, undefined);
  });
});

describe('json hub protocol: write', () => {
  const cases: [HubMessage, string][] = [
    [{ type: MessageType.Invocation, target: 'receive', arguments: ['hi', 1] }, '{"type":1,"target":"receive","arguments":["hi",1]}'],
    [{ type: MessageType.Invocation, invocationId: 's1', target: 'get', arguments: [] }, '{"type":1,"invocationId":"s1","target":"get","arguments":[]}'],
    [{ type: MessageType.Completion, invocationId: '0', hasResult: true, result: 42 }, '{"type":3,"invocationId":"0","result":42}'],
    [{ type: MessageType.Completion, invocationId: '0', hasResult: true, result: null }, '{"type":3,"invocationId":"0","result":null}'],
    [{ type: MessageType.Completion, invocationId: '0', hasResult: false }, '{"type":3,"invocationId":"0"}'],
    [{ type: MessageType.Completion, invocationId: '0', hasResult: false, error: 'bad' }, '{"type":3,"invocationId":"0","error":"bad"}'],
    [{ type: MessageType.StreamItem, invocationId: '1', item: { a: 1 } }, '{"type":2,"invocationId":"1","item":{"a":1}}'],
    [{ type: MessageType.Ping }, '{"type":6}'],
    [{ type: MessageType.Close }, '{"type":7}'],
    [{ type: MessageType.Close, error: 'bye', allowReconnect: true }, '{"type":7,"error":"bye","allowReconnect":true}'],
    [{ type: MessageType.Sequence, sequenceId: 19 }, '{"type":9,"sequenceId":19}'],
  ];
  for (const [message, expected] of cases) {
    test(`writes ${expected}`, () => {
      assert.equal(jsonHubProtocol.write(message), expected + RS);
    });
  }

  test('never writes a raw record separator inside a payload', () => {
    const written = jsonHubProtocol.write({ type: MessageType.Invocation, target: 'x', arguments: ['a\u001eb'] }) as string;
    assert.equal(written.indexOf(RS), written.length - 1);
  });

  test('round-trips through parse', () => {
    const written = jsonHubProtocol.write({ type: MessageType.Invocation, invocationId: '7', target: 't', arguments: [{ n: [1, 2] }] });
    const { messages } = jsonHubProtocol.parse(Buffer.from(written), null);
    assert.deepEqual(messages[0], { type: 1, invocationId: '7', target: 't', arguments: [{ n: [1, 2] }], streamIds: undefined, headers: undefined });
  });
});
