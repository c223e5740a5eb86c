import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InboundQueue, type ConnectionData } from './inbound-queue.js';

function queue(limit: number): { inbound: InboundQueue; flow: string[] } {
  const flow: string[] = [];
  return { inbound: new InboundQueue(limit, { pause: () => flow.push('pause'), resume: () => flow.push('resume') }), flow };
}

test('past the limit the transport is paused; reading down to half resumes it, once each', async () => {
  const { inbound, flow } = queue(10);
  inbound.push('12345');
  inbound.push('67890');
  assert.deepEqual(flow, [], 'at the limit: still reading');
  inbound.push(Buffer.from('ab'));
  assert.deepEqual(flow, ['pause']);
  inbound.push('c');
  assert.deepEqual(flow, ['pause'], 'paused once');
  assert.equal(inbound.bufferedAmount, 13);
  const reader = inbound[Symbol.asyncIterator]();
  assert.deepEqual(await reader.next(), { done: false, value: '12345' });
  assert.deepEqual(flow, ['pause'], '8 bytes left: above half');
  assert.deepEqual(await reader.next(), { done: false, value: '67890' });
  assert.deepEqual(flow, ['pause', 'resume']);
});

test('multi-byte text counts as bytes', () => {
  const { inbound, flow } = queue(5);
  inbound.push('éé✓');
  assert.equal(inbound.bufferedAmount, 7);
  assert.deepEqual(flow, ['pause']);
});

test('a reader waits for data; after end it gets what was queued, then done', async () => {
  const { inbound } = queue(100);
  const reader = inbound[Symbol.asyncIterator]();
  const first = reader.next();
  inbound.push('late');
  assert.deepEqual(await first, { done: false, value: 'late' });
  inbound.push('kept');
  inbound.end(false);
  inbound.push('dropped');
  assert.deepEqual(await reader.next(), { done: false, value: 'kept' });
  assert.deepEqual(await reader.next(), { done: true, value: undefined });
});

test('end(discard) drops what waits and ends a waiting reader', async () => {
  const { inbound } = queue(100);
  inbound.push('gone');
  inbound.end(true);
  const received: ConnectionData[] = [];
  for await (const data of inbound) received.push(data);
  assert.deepEqual(received, []);
});

test('one loop at a time; leaving a loop early lets another read the rest', async () => {
  const { inbound } = queue(100);
  inbound.push('a');
  inbound.push('b');
  const reader = inbound[Symbol.asyncIterator]();
  assert.throws(() => inbound[Symbol.asyncIterator](), /already being read/);
  for await (const data of { [Symbol.asyncIterator]: () => reader }) {
    assert.equal(data, 'a');
    break;
  }
  inbound.end(false);
  const rest: ConnectionData[] = [];
  for await (const data of inbound) rest.push(data);
  assert.deepEqual(rest, ['b']);
});
