import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorText } from './remote-calls.js';

test('errorText never gives an empty text: an error without a message is named by its class', () => {
  class TimeoutError extends Error {
    override name = 'TimeoutError';
  }
  assert.equal(errorText(new Error('Socket closed')), 'Socket closed');
  assert.equal(errorText(new TimeoutError()), 'TimeoutError');
  assert.equal(errorText(new Error('')), 'an error without a message');
  assert.equal(errorText('plain'), 'plain');
});
