import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLOSE_BEFORE_READY, exitOf } from '../../../../../test/support/child-exit.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

test('a backplane closed before its Redis connections are up leaves nothing open: the process exits by itself', async () => {
  // Start-up of a tsx child is ~1 s of CPU; 20 s allows a busy machine, a hang never ends.
  assert.equal(await exitOf(CLOSE_BEFORE_READY, [url, 'single'], 20_000), 0);
});
