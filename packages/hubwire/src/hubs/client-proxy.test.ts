import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClientProxy } from './client-proxy.js';

interface Client {
  receiveMessage(user: string, text: string): void;
}

test('typed calls and send() both become sends with the method name and arguments', async () => {
  const calls: [string, unknown[]][] = [];
  const proxy = createClientProxy<Client>(async (method, args) => void calls.push([method, args]));
  await proxy.receiveMessage('ann', 'hi');
  await proxy.send('Other', 1, 2);
  assert.deepEqual(calls, [
    ['receiveMessage', ['ann', 'hi']],
    ['Other', [1, 2]],
  ]);
});

test('a proxy is not mistaken for a promise', async () => {
  const proxy = createClientProxy(async () => undefined);
  assert.equal((proxy as unknown as { then?: unknown }).then, undefined);
  assert.equal(await Promise.resolve(proxy), proxy);
});
