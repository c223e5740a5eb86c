import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createHubServer, Hub, redisLifetimeManager } from 'hubwire';

class FirstHub extends Hub {}
class SecondHub extends Hub {}

test('one redisLifetimeManager() factory gives every hub of a process the same node id, and a second server of the same hub its own', async () => {
  const backplane = redisLifetimeManager({ prefix: `hubwire-test-${randomUUID()}` });
  const one = createHubServer({ lifetimeManager: backplane });
  one.mapHub('/first', FirstHub);
  one.mapHub('/second', SecondHub);
  const two = createHubServer({ lifetimeManager: backplane });
  two.mapHub('/first', FirstHub);
  try {
    await one.listen({ port: 0, host: '127.0.0.1' });
    await two.listen({ port: 0, host: '127.0.0.1' });
    await backplane.ready();
    const [first, second, twin] = backplane.managers;
    assert.equal(backplane.managers.length, 3);
    assert.equal(first!.nodeId, second!.nodeId);
    assert.notEqual(twin!.nodeId, first!.nodeId);
  } finally {
    await one.close();
    await two.close();
  }
});
