import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamCancellation } from './stream-cancellation.js';

test('a cancel before the stream started fires only once it has started', () => {
  const cancellation = new StreamCancellation();
  let fired = 0;
  cancellation.signal.addEventListener('abort', () => fired++);
  cancellation.abort();
  assert.equal(cancellation.requested, true);
  assert.equal(cancellation.signal.aborted, false);
  assert.equal(fired, 0);
  cancellation.started();
  assert.equal(cancellation.signal.aborted, true);
  assert.equal(fired, 1);
  cancellation.started();
  cancellation.abort();
  assert.equal(fired, 1);
});

test('a cancel after the stream started fires at once; without a cancel nothing fires', () => {
  const cancellation = new StreamCancellation();
  cancellation.started();
  assert.equal(cancellation.signal.aborted, false);
  assert.equal(cancellation.requested, false);
  cancellation.abort();
  assert.equal(cancellation.signal.aborted, true);
});
