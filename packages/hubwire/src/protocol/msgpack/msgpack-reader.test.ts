import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readMessagePackMessage } from './msgpack-reader.js';

describe('msgpack reader: decoded arrays to hub messages', () => {
  test('Invocation with 5, 6 and 7 elements (M22): extras ignored, empty streamIds dropped', () => {
    const expected = { type: 1, invocationId: '1', target: 'a', arguments: [1], streamIds: undefined, headers: undefined };
    assert.deepEqual(readMessagePackMessage([1, {}, '1', 'a', [1]]), expected);
    assert.deepEqual(readMessagePackMessage([1, {}, '1', 'a', [1], []]), expected);
    assert.deepEqual(readMessagePackMessage([1, {}, '1', 'a', [1], [], 'future', { x: 1 }]), expected);
    assert.deepEqual(readMessagePackMessage([1, {}, '1', 'a', [], ['s1', 's2']]), { ...expected, arguments: [], streamIds: ['s1', 's2'] });
  });

  test('a nil or empty invocationId makes an Invocation non-blocking', () => {
    assert.equal('invocationId' in readMessagePackMessage([1, {}, null, 'a', []])!, false);
    assert.equal('invocationId' in readMessagePackMessage([1, {}, '', 'a', []])!, false);
  });

  test('headers are exposed when not empty', () => {
    const message = readMessagePackMessage([1, { trace: 'abc' }, null, 'a', []]);
    assert.deepEqual((message as { headers?: unknown }).headers, { trace: 'abc' });
  });

  test('Completion kinds: 1 error, 2 void, 3 result (nil included)', () => {
    const base = { type: 3, invocationId: 'x', headers: undefined };
    assert.deepEqual(readMessagePackMessage([3, {}, 'x', 1, 'boom']), { ...base, hasResult: false, result: undefined, error: 'boom' });
    assert.deepEqual(readMessagePackMessage([3, {}, 'x', 2]), { ...base, hasResult: false, result: undefined, error: undefined });
    assert.deepEqual(readMessagePackMessage([3, {}, 'x', 3, null]), { ...base, hasResult: true, result: null, error: undefined });
    assert.deepEqual(readMessagePackMessage([3, {}, 'x', 3, { a: [1] }, 'extra']), { ...base, hasResult: true, result: { a: [1] }, error: undefined });
  });

  test('Close with 2 or 3 elements', () => {
    assert.deepEqual(readMessagePackMessage([7, null]), { type: 7, allowReconnect: false });
    assert.deepEqual(readMessagePackMessage([7, 'bye', true]), { type: 7, error: 'bye', allowReconnect: true });
    assert.deepEqual(readMessagePackMessage([7, '', false, 'extra']), { type: 7, allowReconnect: false });
  });

  test('Ping, Ack, Sequence, CancelInvocation, StreamItem', () => {
    assert.deepEqual(readMessagePackMessage([6, 'extra']), { type: 6 });
    assert.deepEqual(readMessagePackMessage([8, 2 ** 40]), { type: 8, sequenceId: 2 ** 40 });
    assert.deepEqual(readMessagePackMessage([9, 0]), { type: 9, sequenceId: 0 });
    assert.deepEqual(readMessagePackMessage([5, {}, '3']), { type: 5, invocationId: '3', headers: undefined });
    assert.deepEqual(readMessagePackMessage([2, {}, '1', null]), { type: 2, invocationId: '1', item: null, headers: undefined });
  });

  test('unknown types are skipped, whatever follows the type', () => {
    assert.equal(readMessagePackMessage([99]), undefined);
    assert.equal(readMessagePackMessage([0, 'x', { y: 1 }]), undefined);
    assert.equal(readMessagePackMessage([-1]), undefined);
  });

  // ASP.NET's MessagePackHubProtocolWorker texts.
  const invalid: [unknown, string][] = [
    [[], "Reading 'messageType' as Int32 failed."],
    [['1'], "Reading 'messageType' as Int32 failed."],
    [[1.5], "Reading 'messageType' as Int32 failed."],
    [[2 ** 31], "Reading 'messageType' as Int32 failed."],
    [[1, null, null, 'a', []], "Reading map length for 'headers' failed."],
    [[1, [], null, 'a', []], "Reading map length for 'headers' failed."],
    [[1], "Reading map length for 'headers' failed."],
    [[1, { k: 1 }, null, 'a', []], "Reading 'headers[0].Value' as String failed."],
    [[1, { k: 'v', j: '' }, null, 'a', []], 'Null or empty value in header.'],
    [[1, { '': 'v' }, null, 'a', []], 'Null or empty key in header.'],
    [[1, {}, 7, 'a', []], "Reading 'invocationId' as String failed."],
    [[1, {}, null, null, []], 'Null or empty target for Invocation message.'],
    [[1, {}, null, '', []], 'Null or empty target for Invocation message.'],
    [[1, {}, null, 5, []], "Reading 'target' as String failed."],
    [[1, {}, null], "Reading 'target' as String failed."],
    [[1, {}, null, 'a'], "Reading array length for 'arguments' failed."],
    [[1, {}, null, 'a', {}], "Reading array length for 'arguments' failed."],
    [[1, {}, null, 'a', [], 'x'], "Reading array length for 'streamIds' failed."],
    [[1, {}, null, 'a', [], [null]], 'Null or empty value in streamIds received.'],
    [[1, {}, null, 'a', [], [1]], "Reading 'streamIds' as String failed."],
    [[4, {}, null, 'a', []], 'Null or empty invocation ID for StreamInvocation message.'],
    [[4, {}, '1', '', []], 'Null or empty target for StreamInvocation message.'],
    [[2, {}, '', 1], 'Null or empty invocation ID for StreamItem message.'],
    [[2, {}, '1'], 'Unable to read beyond the end of the stream.'],
    [[3, {}, null, 2], 'Null or empty invocation ID for Completion message.'],
    [[3, {}, '1'], "Reading 'resultKind' as Int32 failed."],
    [[3, {}, '1', 7], 'Invalid invocation result kind.'],
    [[3, {}, '1', 0], 'Invalid invocation result kind.'],
    [[3, {}, '1', 1, 42], "Reading 'error' as String failed."],
    [[3, {}, '1', 3], 'Unable to read beyond the end of the stream.'],
    [[5, {}, null], 'Null or empty invocation ID for CancelInvocation message.'],
    [[7], "Reading 'error' as String failed."],
    [[7, null, 1], "Reading 'allowReconnect' as Boolean failed."],
    [[8], "Reading 'sequenceId' as Int64 failed."],
    [[9, 'x'], "Reading 'sequenceId' as Int64 failed."],
    [[9, 2 ** 63], "Reading 'sequenceId' as Int64 failed."],
    [{ 0: 6 }, 'A hub message must be a MessagePack array.'],
  ];
  for (const [body, expected] of invalid) {
    test(`${JSON.stringify(body)} → "${expected}"`, () => {
      assert.throws(() => readMessagePackMessage(body), (error: Error & { code?: string }) => {
        assert.equal(error.message, expected);
        assert.equal(error.code, 'HUB_ERR_PROTOCOL');
        return true;
      });
    });
  }
});
