import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, encode, type BackplaneMessage } from './wire.js';

test('every kind of backplane message survives encode → decode', () => {
  const messages: BackplaneMessage[] = [
    { kind: 'invocation', sender: 'n1', groups: ['g1', 'ünï'], except: ['c1'], bytes: new Map([['json', Buffer.from('{"type":1}\x1e')], ['messagepack', Buffer.from([0x0a, 0x95, 0x01])]]) },
    { kind: 'invocation', sender: 'n1', groups: [], except: [], bytes: new Map() },
    { kind: 'group-add', sender: 'n2', ackId: 4_000_000_000, connectionId: 'abc', group: '' },
    { kind: 'group-remove', sender: 'n2', ackId: 1, connectionId: 'abc', group: 'room' },
    { kind: 'ack', ackId: 7 },
    { kind: 'invoke', sender: 'n3', callId: 9, target: 'Ask', timeout: 0, args: Buffer.from([0x91, 0x01]) },
    { kind: 'result', callId: 9, ok: true, payload: Buffer.from([0xc0]) },
    { kind: 'result', callId: 10, ok: false, payload: Buffer.alloc(0) },
    { kind: 'cancel', sender: 'n3', callId: 9 },
  ];
  for (const message of messages) assert.deepEqual(decode(encode(message)), message);
});

test('bytes that are not a backplane message are refused, never half-read', () => {
  const good = encode({ kind: 'group-add', sender: 'n', ackId: 1, connectionId: 'c', group: 'g' });
  assert.throws(() => decode(Buffer.of(9)), RangeError);
  assert.throws(() => decode(good.subarray(0, good.length - 1)), RangeError);
  assert.throws(() => decode(Buffer.concat([good, Buffer.of(0)])), RangeError);
  assert.throws(() => decode(Buffer.from([1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])), RangeError);
});
