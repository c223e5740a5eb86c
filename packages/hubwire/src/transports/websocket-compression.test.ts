import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { constants, inflateRawSync } from 'node:zlib';
import { test } from 'node:test';
import { CompressedBacklog } from './compressed-backlog.js';
import { deflateCount, deflatePayload, negotiatedWindowBits } from './websocket-compression.js';

test('the window to deflate for, from the accepted extensions', () => {
  assert.equal(negotiatedWindowBits(''), undefined);
  assert.equal(negotiatedWindowBits('permessage-deflate; server_no_context_takeover; client_no_context_takeover'), 15);
  assert.equal(negotiatedWindowBits('permessage-deflate; server_no_context_takeover; server_max_window_bits=10'), 10);
  assert.equal(negotiatedWindowBits('permessage-deflate; server_max_window_bits="12"'), 12);
  // zlib cannot deflate raw with a window of 8: such a client gets nothing compressed.
  assert.equal(negotiatedWindowBits('permessage-deflate; server_max_window_bits=8'), undefined);
});

test('a deflated payload is RFC 7692 shaped: the receiver appends 00 00 ff ff and inflates it alone', () => {
  const data = Buffer.from(randomBytes(100).toString('hex').repeat(60));
  const before = deflateCount();
  for (const windowBits of [9, 15]) {
    const payload = deflatePayload(data, 6, windowBits);
    assert.ok(payload.length < data.length / 4);
    assert.notDeepEqual(payload.subarray(-4), Buffer.from([0, 0, 0xff, 0xff]));
    const inflated = inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), { windowBits, finishFlush: constants.Z_SYNC_FLUSH });
    assert.deepEqual(inflated, data);
  }
  assert.equal(deflateCount() - before, 2);
});

test('the backlog counts compressed frames in message bytes until the socket flushed past them', () => {
  const backlog = new CompressedBacklog();
  assert.equal(backlog.buffered(0), 0);
  backlog.wrote(100); // uncompressed frame: counted as is
  backlog.wroteCompressed(200, 2_000); // saved 1 800
  backlog.wroteCompressed(300, 3_000); // saved 2 700
  // Nothing flushed: all 600 socket bytes stand for 100 + 2 000 + 3 000 message bytes.
  assert.equal(backlog.buffered(600), 5_100);
  // The first compressed frame left (300 flushed): its saving goes.
  assert.equal(backlog.buffered(300), 300 + 2_700);
  assert.equal(backlog.buffered(0), 0);
  // A frame that grew (incompressible) saves nothing and is counted as the socket counts it.
  backlog.wroteCompressed(120, 100);
  assert.equal(backlog.buffered(120), 120);
});

test("a client that never reads keeps the backlog's savings, however many frames", () => {
  const backlog = new CompressedBacklog();
  for (let i = 0; i < 5_000; i++) backlog.wroteCompressed(10, 100);
  assert.equal(backlog.buffered(50_000), 500_000);
  // It reads half: half the savings go, and what is left is still counted right.
  assert.equal(backlog.buffered(25_000), 250_000);
  assert.equal(backlog.buffered(10), 100);
});
