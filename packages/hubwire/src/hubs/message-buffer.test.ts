import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageBuffer } from './message-buffer.js';

test('numbers sent messages, drops acknowledged ones and replays the rest from the oldest', () => {
  const buffer = new MessageBuffer(100);
  assert.deepEqual(buffer.replay(), { sequenceId: 1, messages: [] });
  for (const text of ['a', 'b', 'c']) buffer.track(text, 10);
  buffer.acknowledge(1);
  assert.equal(buffer.bufferedBytes, 20);
  assert.deepEqual(buffer.replay(), { sequenceId: 2, messages: ['b', 'c'] });
  buffer.acknowledge(3);
  assert.deepEqual(buffer.replay(), { sequenceId: 4, messages: [] });
});

test('has room until the limit, and always when empty', () => {
  const buffer = new MessageBuffer(25);
  assert.equal(buffer.hasRoomFor(1000), true);
  buffer.track('x', 20);
  assert.equal(buffer.hasRoomFor(5), true);
  assert.equal(buffer.hasRoomFor(6), false);
});

test('drops messages the client replays that were already processed', () => {
  const buffer = new MessageBuffer(100);
  assert.deepEqual([buffer.receive(), buffer.receive(), buffer.receive()], [true, true, true]);
  buffer.resetSequence(2); // the client had 2 and 3 unacknowledged and sends them again, then 4
  assert.deepEqual([buffer.receive(), buffer.receive(), buffer.receive()], [false, false, true]);
  assert.throws(() => buffer.resetSequence(9), /Sequence ID greater/);
});

test('an Ack is due only when something new was processed', () => {
  const buffer = new MessageBuffer(100);
  assert.equal(buffer.ackDue(), undefined);
  buffer.receive();
  buffer.receive();
  assert.equal(buffer.ackDue(), 2);
  assert.equal(buffer.ackDue(), undefined);
});
