import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClientProxy, type ClientMethods, type ClientProxy } from './client-proxy.js';

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

/** A client whose methods are named like the proxy's own. */
interface Clashing {
  send(text: string): void;
  invoke(n: number): number;
  notice(text: string): void;
}

// Compile-time: the clashing names are not typed members (they would look like the client's
// method but be the dynamic call), the others are.
const sendIsTyped: 'send' extends keyof ClientMethods<Clashing> ? true : false = false;
const invokeIsTyped: 'invoke' extends keyof ClientMethods<Clashing> ? true : false = false;
const noticeIsTyped: 'notice' extends keyof ClientMethods<Clashing> ? true : false = true;

test("client methods named send and invoke are reached with send('send', …) and invoke('invoke', …)", async () => {
  assert.deepEqual([sendIsTyped, invokeIsTyped, noticeIsTyped], [false, false, true]);
  const calls: [string, unknown[]][] = [];
  const proxy = createClientProxy<Clashing>(
    async (method, args) => void calls.push([method, args]),
    async (method, args) => {
      calls.push([`invoke:${method}`, args]);
      return 42;
    },
  );
  const all: ClientProxy<Clashing> = proxy;
  await all.send('send', 'hi');
  await all.send('invoke', 2);
  await all.notice('n');
  assert.equal(await proxy.invoke('invoke', 21), 42);
  assert.deepEqual(calls, [
    ['send', ['hi']],
    ['invoke', [2]],
    ['notice', ['n']],
    ['invoke:invoke', [21]],
  ]);
});
