import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createClient } from '@redis/client';
import { OwnRedisServer } from '../../../../test/support/redis-server.js';
import type { AppRedisClient } from './cluster-context.js';
import { localLease, RedisLease } from './lease.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const TTL = 600;
const RENEW = 200;

async function client(url = REDIS_URL): Promise<AppRedisClient> {
  const redis = createClient({ url, disableOfflineQueue: true, socket: { reconnectStrategy: () => 50 } }) as AppRedisClient;
  redis.on('error', () => undefined);
  await redis.connect();
  return redis;
}

async function until(condition: () => boolean, ms: number, what: string): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Date.now() - started;
}

describe('RedisLease', () => {
  const clients: AppRedisClient[] = [];
  const leases: RedisLease[] = [];
  const lease = (redis: AppRedisClient, key: string, owner: string) => {
    const made = new RedisLease({ redis, key, name: 'test', owner, ttlMs: TTL, renewMs: RENEW });
    leases.push(made);
    return made;
  };
  let a: AppRedisClient;
  let b: AppRedisClient;

  before(async () => {
    a = await client();
    b = await client();
    clients.push(a, b);
  });
  after(async () => {
    await Promise.all(leases.map((made) => made.stop()));
    for (const redis of clients) redis.destroy();
  });

  test('two leases on one key: exactly one holds, and the key holds its token', async () => {
    const key = `hubwire-test-${randomUUID()}:lease`;
    const first = lease(a, key, 'node-a');
    const second = lease(b, key, 'node-b');
    await until(() => first.held || second.held, TTL, 'a holder');
    // Sampled over several renewals: never both, never none once decided.
    for (let sample = 0; sample < 40; sample++) {
      assert.equal(Number(first.held) + Number(second.held), 1, `sample ${sample}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const holder = first.held ? first : second;
    assert.equal(await a.get(key), holder.token);
    assert.ok(holder.token.startsWith(holder === first ? 'node-a/' : 'node-b/'));
    const ttl = await a.pTTL(key);
    assert.ok(ttl > 0 && ttl <= TTL, `PTTL ${ttl}`);
  });

  test('onChange reports taking and losing the lease; the holder that stops lets the other take over within the TTL', async () => {
    const key = `hubwire-test-${randomUUID()}:lease`;
    const first = lease(a, key, 'node-a');
    await until(() => first.held, TTL, 'first holds');
    const second = lease(b, key, 'node-b');
    const changes: boolean[] = [];
    second.onChange((held) => changes.push(held));
    const firstChanges: boolean[] = [];
    first.onChange((held) => firstChanges.push(held));
    assert.deepEqual(firstChanges, [true], 'a listener added while held hears true at once');
    await new Promise((resolve) => setTimeout(resolve, RENEW * 2));
    assert.equal(second.held, false, 'the second waits while the first renews');
    await first.stop();
    assert.equal(first.held, false);
    assert.deepEqual(firstChanges, [true, false]);
    // Released: the key is gone, or the second already took it in the meantime.
    const after = await a.get(key);
    assert.ok(after === null || after === second.token, `stop released the key (found ${String(after)})`);
    const waited = await until(() => second.held, TTL, 'second takes over');
    assert.ok(waited <= TTL, `took over after ${waited} ms`);
    assert.deepEqual(changes, [true]);
  });

  test('a holder that dies without releasing is replaced within TTL + one renewal, and believes it leads no longer than the TTL', async () => {
    const key = `hubwire-test-${randomUUID()}:lease`;
    const doomed = await client();
    const first = lease(doomed, key, 'node-a');
    await until(() => first.held, TTL, 'first holds');
    const second = lease(b, key, 'node-b');
    await new Promise((resolve) => setTimeout(resolve, RENEW + 50));
    const diedAt = Date.now();
    doomed.destroy(); // no more renewals, no release: the key stays until it expires
    await until(() => !first.held, TTL, 'the dead holder steps down');
    assert.ok(Date.now() - diedAt <= TTL, 'stepped down within the TTL');
    await until(() => second.held, TTL + RENEW + 100, 'second takes over');
    const took = Date.now() - diedAt;
    assert.ok(took <= TTL + RENEW + 100, `took over after ${took} ms`);
    assert.equal(await b.get(key), second.token);
  });

  test('a lease whose key was taken by someone else steps down and never extends the other token', async () => {
    const key = `hubwire-test-${randomUUID()}:lease`;
    const first = lease(a, key, 'node-a');
    await until(() => first.held, TTL, 'first holds');
    await b.set(key, 'someone-else', { expiration: { type: 'PX', value: 5000 } });
    await until(() => !first.held, RENEW * 2 + 100, 'steps down at the next renewal');
    const ttl = await b.pTTL(key);
    assert.ok(ttl > 5000 - RENEW * 3, `the other's TTL was not touched (${ttl})`);
    assert.equal(await b.get(key), 'someone-else');
    await b.del(key);
    await until(() => first.held, TTL, 'takes the free key again');
  });

  test('a process blocked past its validity reads held=false before any timer runs', async () => {
    const key = `hubwire-test-${randomUUID()}:lease`;
    const first = lease(a, key, 'node-a');
    await until(() => first.held, TTL, 'holds');
    const changes: boolean[] = [];
    first.onChange((held) => changes.push(held));
    const blockedUntil = Date.now() + TTL + 50;
    while (Date.now() < blockedUntil) {
      // A busy event loop: no renewal, no timer.
    }
    assert.equal(first.held, false, 'the belief ended with the validity, not with the next timer');
    await until(() => first.held, TTL * 2, 'leads again once it runs (the key may still be its own or free)');
    assert.equal(changes[0], true);
  });
});

describe('RedisLease during a Redis outage', () => {
  let server: OwnRedisServer;
  let redis: AppRedisClient;
  let made: RedisLease | undefined;

  before(async () => {
    server = await OwnRedisServer.start();
    redis = await client(server.url);
  });
  after(async () => {
    await made?.stop();
    redis?.destroy();
    await server?.stop();
  });

  test('the holder steps down within the TTL of its last renewal, and leads again after Redis is back', async () => {
    made = new RedisLease({ redis, key: 'lease', name: 'outage', owner: 'node', ttlMs: TTL, renewMs: RENEW });
    await until(() => made!.held, TTL, 'holds');
    const changes: boolean[] = [];
    made.onChange((held) => changes.push(held));
    const downAt = Date.now();
    await server.stop();
    await until(() => !made!.held, TTL + 50, 'steps down');
    assert.ok(Date.now() - downAt <= TTL + 50, `stepped down after ${Date.now() - downAt} ms`);
    // The belief ends with the validity; listeners hear it when the expiry timer runs (late on a busy machine).
    await until(() => changes.length === 2, 2000, 'onChange(false)');
    assert.deepEqual(changes, [true, false]);
    await server.restart();
    await until(() => made!.held, 10_000, 'leads again');
    assert.deepEqual(changes, [true, false, true]);
  });
});

describe('localLease', () => {
  test('is held from the start until stop', async () => {
    const lease = localLease('alone');
    const changes: boolean[] = [];
    lease.onChange((held) => changes.push(held));
    assert.equal(lease.held, true);
    await lease.stop();
    assert.equal(lease.held, false);
    assert.deepEqual(changes, [true, false]);
  });
});
