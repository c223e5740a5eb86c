/**
 * How a node entry's failed writes are logged: once per outage, where a write that fails again
 * within one TTL of the last recovery (a Redis back but slow, right after a restart) is the same
 * outage. Redis is scripted here: each write succeeds or fails as the test says.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Logger } from 'pino';
import type { AppRedisClient } from './cluster-context.js';
import { NodeEntries } from './node-entries.js';

function scriptedRedis(outcomes: boolean[]): AppRedisClient {
  const chain = {
    set: () => chain,
    sAdd: () => chain,
    exec: () => (outcomes.shift() ?? true ? Promise.resolve([]) : Promise.reject(new Error('Connection is closed.'))),
  };
  return { multi: () => chain } as unknown as AppRedisClient;
}

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = { warn: (_fields: unknown, msg: string) => void lines.push(`warn ${msg}`), info: (_fields: unknown, msg: string) => void lines.push(`info ${msg}`) };
  return { logger: logger as unknown as Logger, lines };
}

const NOT_WRITTEN = 'warn node entry not written; other nodes stop seeing this one once it expires';
const WRITTEN_AGAIN = 'info node entry written again';

test('a failure within one TTL of recovering is the same outage; one after it is a new one', async () => {
  let now = 0;
  const { logger, lines } = recordingLogger();
  // fail, recover, fail again 100 ms later (same outage), recover, then fail 1 s later (a new one).
  const entries = new NodeEntries({ redis: scriptedRedis([false, true, false, true, false]), key: 'k', nodeId: 'n', value: () => 1, intervalMs: 100, ttlMs: 300, logger, now: () => now });
  await entries.publish();
  now = 100;
  await entries.publish();
  now = 200;
  await entries.publish();
  now = 300;
  await entries.publish();
  now = 1300;
  await entries.publish();
  assert.deepEqual(lines, [NOT_WRITTEN, WRITTEN_AGAIN, WRITTEN_AGAIN, NOT_WRITTEN]);
  await entries.stop();
});
