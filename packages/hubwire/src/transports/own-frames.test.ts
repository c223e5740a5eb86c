import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { writeOwnTextFrame } from './own-frames.js';

/** A stand-in with the ws internals the writer checks, recording raw writes. */
function fakeSocket(senderState = 0, firstFragment = true): { socket: WebSocket; writes: Buffer[] } {
  const writes: Buffer[] = [];
  const socket = { _sender: { _state: senderState, _firstFragment: firstFragment }, _socket: { write: (chunk: Buffer) => writes.push(chunk) > 0 } };
  return { socket: socket as unknown as WebSocket, writes };
}

/** Reads back one unmasked frame: FIN/opcode byte, payload length, payload text. */
function unframe(frame: Buffer): { first: number; length: number; text: string } {
  let length = frame[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    length = frame.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    length = Number(frame.readBigUInt64BE(2));
    offset = 10;
  }
  assert.equal(frame.length, offset + length, 'header and payload in one Buffer, nothing more');
  return { first: frame[0]!, length, text: frame.subarray(offset).toString('utf8') };
}

describe('writeOwnTextFrame', () => {
  it('writes one final text frame in one write, with the UTF-8 length in each header size', () => {
    for (const text of ['', '{"type":6}\u001e', 'é'.repeat(100), 'x'.repeat(70_000), 'ü'.repeat(40_000)]) {
      const { socket, writes } = fakeSocket();
      assert.equal(writeOwnTextFrame(socket, text), true);
      assert.equal(writes.length, 1);
      const frame = unframe(writes[0]!);
      assert.equal(frame.first, 0x81, 'FIN + text, no RSV bits');
      assert.equal(frame.length, Buffer.byteLength(text));
      assert.equal(frame.text, text);
    }
  });

  it('writes nothing when ws has a frame of its own under way', () => {
    for (const [state, first] of [[1, true], [0, false]] as const) {
      const { socket, writes } = fakeSocket(state, first);
      assert.equal(writeOwnTextFrame(socket, 'hi'), false);
      assert.deepEqual(writes, []);
    }
    assert.equal(writeOwnTextFrame({} as WebSocket, 'hi'), false, 'without the expected internals');
  });
});
