import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeEntry, encodeEntry } from './entry-codec.js';

describe('entry codec', () => {
  test('round-trips messages with their bytes per protocol, and the except list', () => {
    const entry = {
      messages: [
        { bytes: new Map([['json', Buffer.from('{"type":1}\u001e')], ['messagepack', Buffer.of(0x03, 0x95, 0x01, 0xc0)]]) },
        { bytes: new Map([['json', Buffer.alloc(0)]]) },
      ],
      except: ['a', 'ü-connection'],
    };
    const decoded = decodeEntry(encodeEntry(entry));
    assert.deepEqual(decoded.except, entry.except);
    assert.equal(decoded.messages.length, 2);
    for (let i = 0; i < 2; i++) assert.deepEqual([...decoded.messages[i]!.bytes], [...entry.messages[i]!.bytes]);
    assert.deepEqual(decodeEntry(encodeEntry({ messages: [], except: [] })), { messages: [], except: [] });
  });

  test('bytes that are not an entry fail with a RangeError, never a huge loop', () => {
    const good = encodeEntry({ messages: [{ bytes: new Map([['json', Buffer.from('x')]]) }], except: ['a'] });
    assert.throws(() => decodeEntry(Buffer.alloc(0)), RangeError);
    assert.throws(() => decodeEntry(Buffer.concat([Buffer.of(2), good.subarray(1)])), /unknown version/);
    for (let cut = 1; cut < good.length; cut++) assert.throws(() => decodeEntry(good.subarray(0, cut)), RangeError, `cut at ${cut}`);
    assert.throws(() => decodeEntry(Buffer.concat([good, Buffer.of(0)])), /trailing/);
    const lying = Buffer.from(good);
    lying.writeUInt32BE(0xffffffff, 1); // the except count
    assert.throws(() => decodeEntry(lying), /truncated/);
  });
});
