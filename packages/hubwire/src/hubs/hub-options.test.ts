import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_HUB_OPTIONS, resolveHubOptions } from './hub-options.js';

test("defaults are ASP.NET Core SignalR's", () => {
  const options = resolveHubOptions();
  assert.equal(options.keepAliveInterval, 15_000);
  assert.equal(options.clientTimeoutInterval, 30_000);
  assert.equal(options.handshakeTimeout, 15_000);
  assert.equal(options.maximumReceiveMessageSize, 32_768);
  assert.equal(options.maximumParallelInvocationsPerClient, 1);
  assert.equal(options.enableDetailedErrors, false);
  assert.equal(options.disconnectTimeout, 15_000);
  assert.deepEqual(options, { ...DEFAULT_HUB_OPTIONS });
});

test('later layers override earlier ones; undefined leaves a value alone', () => {
  const options = resolveHubOptions({ keepAliveInterval: 5000 }, { keepAliveInterval: undefined, enableDetailedErrors: true });
  assert.equal(options.keepAliveInterval, 5000);
  assert.equal(options.enableDetailedErrors, true);
  assert.equal(resolveHubOptions({ maximumReceiveMessageSize: null }).maximumReceiveMessageSize, null);
});

test('invalid values are refused with the option named', () => {
  assert.throws(() => resolveHubOptions({ keepAliveInterval: 0 }), /Option 'keepAliveInterval' must be a positive integer/);
  assert.throws(() => resolveHubOptions({ maximumReceiveMessageSize: -1 }), /maximumReceiveMessageSize/);
  assert.throws(() => resolveHubOptions({ transports: ['Carrier pigeon' as never] }), /Option 'transports'/);
  assert.throws(() => resolveHubOptions({ protocols: [] }), /Option 'protocols'/);
});
