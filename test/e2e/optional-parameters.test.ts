/**
 * mapHub's optionalParameters: trailing parameters a client may leave out, so a method can grow a
 * parameter (a recovery position, say) without breaking the clients that call it the old way.
 * Driven by the official client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Hub, HubwireError } from 'hubwire';
import { connectWithin, stopAll } from '../support/e2e.js';
import type { signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

class FeedHub extends Hub {
  follow(topic: string, from?: number, tag?: string): string {
    return `${topic}|${String(from)}|${String(tag)}`;
  }
  exact(topic: string, from?: number): string {
    return `${topic}|${String(from)}`;
  }
}

describe('optional trailing parameters', () => {
  let server: TestServer;
  let client: signalR.HubConnection;

  before(async () => {
    server = await startTestServer((hubwire) => hubwire.mapHub('/feed', FeedHub, { optionalParameters: { follow: 2 }, enableDetailedErrors: true }));
    client = await connectWithin(server.url('/feed'));
  });
  after(async () => {
    await stopAll([client]);
    await server.close();
  });

  test('a call may leave out the named trailing parameters; they arrive undefined', async () => {
    assert.equal(await client.invoke('Follow', 'news'), 'news|undefined|undefined');
    assert.equal(await client.invoke('Follow', 'news', 7), 'news|7|undefined');
    assert.equal(await client.invoke('Follow', 'news', 7, 'x'), 'news|7|x');
    // null stays null: only what was left out is undefined.
    assert.equal(await client.invoke('Follow', 'news', null), 'news|null|undefined');
  });

  test('fewer than the required ones, or more than declared, is still refused with ASP.NET\u2019s text', async () => {
    await assert.rejects(client.invoke('Follow'), /Invocation provides 0 argument\(s\) but target expects 3\./);
    await assert.rejects(client.invoke('Follow', 'a', 1, 'b', 'c'), /Invocation provides 4 argument\(s\) but target expects 3\./);
  });

  test('a method not named keeps the exact count', async () => {
    await assert.rejects(client.invoke('Exact', 'news'), /Invocation provides 1 argument\(s\) but target expects 2\./);
    assert.equal(await client.invoke('Exact', 'news', 3), 'news|3');
  });

  test('naming a method the hub lacks, or more parameters than it declares, fails mapHub', async () => {
    const probe = await startTestServer(() => undefined);
    try {
      assert.throws(() => probe.hubwire.mapHub('/a', FeedHub, { optionalParameters: { nope: 1 } as never }), (error: unknown) => error instanceof HubwireError && error.code === 'HUB_ERR_INVALID_OPTION' && /nope/.test(error.message));
      assert.throws(() => probe.hubwire.mapHub('/b', FeedHub, { optionalParameters: { exact: 3 } }), (error: unknown) => error instanceof HubwireError && /declares 2 parameter/.test(error.message));
    } finally {
      await probe.close();
    }
  });
});
