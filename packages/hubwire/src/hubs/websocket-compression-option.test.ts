import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_COMPRESSION_THRESHOLD, resolveWebSocketCompression } from '../transports/websocket-compression.js';
import { resolveHubOptions } from './hub-options.js';

test('the option: off by default and with false, defaults filled in, bad values refused by name', () => {
  assert.equal(resolveHubOptions().webSocketCompression, false);
  assert.equal(resolveWebSocketCompression(false), undefined);
  assert.deepEqual(resolveWebSocketCompression({}), { threshold: DEFAULT_COMPRESSION_THRESHOLD, level: 6 });
  assert.deepEqual(resolveHubOptions({ webSocketCompression: { threshold: 0, level: 1 } }).webSocketCompression, { threshold: 0, level: 1 });
  // A hub's value replaces the server's.
  assert.equal(resolveHubOptions({ webSocketCompression: {} }, { webSocketCompression: false }).webSocketCompression, false);
  assert.throws(() => resolveHubOptions({ webSocketCompression: { threshold: -1 } }), /Option 'webSocketCompression.threshold'/);
  assert.throws(() => resolveHubOptions({ webSocketCompression: { threshold: 1.5 } }), /webSocketCompression.threshold/);
  assert.throws(() => resolveHubOptions({ webSocketCompression: { level: 0 } }), /Option 'webSocketCompression.level'/);
  assert.throws(() => resolveHubOptions({ webSocketCompression: { level: 10 } }), /webSocketCompression.level/);
  assert.throws(() => resolveHubOptions({ webSocketCompression: true as never }), /Option 'webSocketCompression'/);
});
