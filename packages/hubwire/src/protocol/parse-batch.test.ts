import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HubProtocol } from './hub-protocol.js';
import { jsonHubProtocol } from './json/json-hub-protocol.js';
import { MessageType, type HubMessage } from './messages.js';
import { messagePackHubProtocol } from './msgpack/msgpack-hub-protocol.js';

const invocation = (i: number): HubMessage => ({ type: MessageType.Invocation, invocationId: String(i), target: 'm', arguments: [i] });

function stream(protocol: HubProtocol, count: number): Buffer {
  return Buffer.concat(Array.from({ length: count }, (_, i) => Buffer.from(protocol.write(invocation(i)))));
}

for (const protocol of [jsonHubProtocol, messagePackHubProtocol]) {
  describe(`${protocol.name}: parse with maxMessages`, () => {
    it('stops after that many messages and leaves the rest unconsumed, to be parsed later', () => {
      const input = stream(protocol, 10);
      const first = protocol.parse(input, null, 4);
      assert.deepEqual(first.messages.map((m) => (m as { invocationId: string }).invocationId), ['0', '1', '2', '3']);
      assert.ok(first.consumed > 0 && first.consumed < input.length);
      assert.equal(first.limited, true);
      const rest = protocol.parse(input.subarray(first.consumed), null, 100);
      assert.equal(rest.messages.length, 6);
      assert.equal(first.consumed + rest.consumed, input.length);
      assert.equal(rest.limited, undefined);
      // An incomplete tail is not "limited": nothing more can be parsed until more bytes come.
      const cut = protocol.parse(input.subarray(0, input.length - 2), null, 100);
      assert.equal(cut.messages.length, 9);
      assert.equal(cut.limited, undefined);
    });

    it('counts unknown message types against the limit, so a flood of them cannot make one call unbounded', () => {
      const unknown = protocol.name === 'json' ? Buffer.from('{"type":99}\u001e'.repeat(5)) : Buffer.concat(Array.from({ length: 5 }, () => Buffer.from([0x02, 0x91, 0x63])));
      const result = protocol.parse(Buffer.concat([unknown, stream(protocol, 1)]), null, 3);
      assert.equal(result.messages.length, 0);
      assert.equal(result.error, undefined);
      assert.equal(result.consumed, (unknown.length / 5) * 3);
    });
  });
}
