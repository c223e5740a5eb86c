import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OwnEchoes } from './own-echoes.js';

const settled = async (promise: Promise<void>): Promise<boolean> => {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

test('a copy settles its publication and the earlier ones of its channel, not later ones or other channels', async () => {
  const echoes = new OwnEchoes(60_000);
  const first = echoes.expect('c', Buffer.from('one'));
  const second = echoes.expect('c', Buffer.from('two'));
  const third = echoes.expect('c', Buffer.from('three'));
  const elsewhere = echoes.expect('d', Buffer.from('two'));
  echoes.heard('c', Buffer.from('not ours'));
  assert.deepEqual(await Promise.all([first, second, third, elsewhere].map((echo) => settled(echo.arrived))), [false, false, false, false]);
  // 'one' was lost (a reconnect): the copy of 'two' proves it will never come.
  echoes.heard('c', Buffer.from('two'));
  assert.deepEqual(await Promise.all([first, second, third, elsewhere].map((echo) => settled(echo.arrived))), [true, true, false, false]);
  echoes.cancel(third);
  echoes.close();
  assert.equal(await settled(elsewhere.arrived), true);
});

test('a wait ends by itself after the longest wait', async () => {
  const echoes = new OwnEchoes(30);
  const started = Date.now();
  await echoes.expect('c', Buffer.from('lost')).arrived;
  assert.ok(Date.now() - started >= 25);
  // Nothing is left to match a later copy with.
  echoes.heard('c', Buffer.from('lost'));
});
