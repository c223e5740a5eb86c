import assert from 'node:assert/strict';
import { test } from 'node:test';
import { messagePackHubProtocol, MessageType } from 'hubwire';
import { decodeAnswer, encodeInvocation } from './invocation-codec.js';

test('JSON: the invocation message with its record separator; no invocationId for a send', () => {
  const invoke = encodeInvocation('json', { target: 'Add', arguments: [1, 2], invocationId: '7' });
  assert.equal(invoke.contentType, 'application/json');
  assert.equal(Buffer.from(invoke.body).toString('utf8'), '{"type":1,"invocationId":"7","target":"Add","arguments":[1,2]}\u001e');
  const send = encodeInvocation('json', { target: 'Note', arguments: [] });
  assert.equal(Buffer.from(send.body).toString('utf8'), '{"type":1,"target":"Note","arguments":[]}\u001e');
});

test('MessagePack: the framed invocation, parsed back the same', () => {
  const encoded = encodeInvocation('messagepack', { target: 'Add', arguments: [1, 'x'], invocationId: '3' });
  assert.equal(encoded.contentType, 'application/x-msgpack');
  const parsed = messagePackHubProtocol.parse(Buffer.from(encoded.body), null);
  assert.equal(parsed.consumed, encoded.body.length);
  const { type, invocationId, target, arguments: args } = parsed.messages[0] as { type: number; invocationId: string; target: string; arguments: unknown[] };
  assert.deepEqual({ type, invocationId, target, args }, { type: MessageType.Invocation, invocationId: '3', target: 'Add', args: [1, 'x'] });
});

test('answers: a Completion in the protocol, else JSON as is, text, empty is null', () => {
  assert.deepEqual(decodeAnswer('json', Buffer.from('{"type":3,"invocationId":"1","result":{"a":1}}\u001e'), 'application/json'), { ok: true, result: { a: 1 } });
  assert.deepEqual(decodeAnswer('json', Buffer.from('{"type":3,"invocationId":"1","error":"nope"}\u001e'), 'application/json'), { ok: false, error: 'nope' });
  assert.deepEqual(decodeAnswer('json', Buffer.from('{"type":3,"invocationId":"1"}\u001e'), undefined), { ok: true, result: null });
  // A plain JSON object is the result, even one shaped like a message.
  assert.deepEqual(decodeAnswer('json', Buffer.from('{"type":3,"result":5}'), 'application/json'), { ok: true, result: { type: 3, result: 5 } });
  assert.deepEqual(decodeAnswer('json', Buffer.from('42'), 'application/json'), { ok: true, result: 42 });
  assert.deepEqual(decodeAnswer('json', Buffer.from('hello'), 'text/plain; charset=utf-8'), { ok: true, result: 'hello' });
  assert.deepEqual(decodeAnswer('json', new Uint8Array(0), undefined), { ok: true, result: null });
  const binary = decodeAnswer('json', Buffer.from([0xff, 0x00, 0x13]), 'application/octet-stream');
  assert.equal(binary.ok, false);
  const completion = messagePackHubProtocol.write({ type: MessageType.Completion, invocationId: '1', result: [1, 2], hasResult: true });
  assert.deepEqual(decodeAnswer('messagepack', Buffer.from(completion), 'application/x-msgpack'), { ok: true, result: [1, 2] });
  assert.deepEqual(decodeAnswer('messagepack', Buffer.from('{"sum":3}'), 'application/json'), { ok: true, result: { sum: 3 } });
});
