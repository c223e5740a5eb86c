import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CONNECTION_OPTIONS, resolveConnectionOptions } from './connection-options.js';

test('defaults, then the server layer, then the endpoint layer; hub-only options are not taken', () => {
  const authenticate = () => undefined;
  const resolved = resolveConnectionOptions(
    { transports: ['LongPolling'], disconnectTimeout: 5000, authenticate, keepAliveInterval: 1 } as never,
    { disconnectTimeout: 7000, maximumInboundBufferSize: 1024 },
  );
  assert.deepEqual(resolved, {
    ...DEFAULT_CONNECTION_OPTIONS,
    transports: ['LongPolling'],
    disconnectTimeout: 7000,
    maximumInboundBufferSize: 1024,
    authenticate,
    authorize: undefined,
    allowStatefulReconnects: false,
  });
});

test('stateful reconnect is never on: raw bytes carry no sequence numbers', () => {
  assert.equal(resolveConnectionOptions({ allowStatefulReconnects: true } as never).allowStatefulReconnects, false);
});

test('invalid values are refused with HUB_ERR_INVALID_OPTION', () => {
  for (const bad of [
    { maximumInboundBufferSize: 0 },
    { maximumOutboundBufferSize: 1.5 },
    { disconnectTimeout: -1 },
    { minimumNegotiateVersion: -1 },
    { transports: ['Carrier pigeon'] },
  ]) {
    assert.throws(() => resolveConnectionOptions(bad as never), { code: 'HUB_ERR_INVALID_OPTION' }, JSON.stringify(bad));
  }
});
