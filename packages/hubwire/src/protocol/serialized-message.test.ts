import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HubProtocol } from './hub-protocol.js';
import { jsonHubProtocol } from './json/json-hub-protocol.js';
import { MessageType } from './messages.js';
import { SerializedMessage } from './serialized-message.js';

function counting(name: string): HubProtocol & { writes: number } {
  const protocol = {
    name,
    version: 1,
    transferFormat: 'Text' as const,
    writes: 0,
    parse: jsonHubProtocol.parse,
    write(message: Parameters<HubProtocol['write']>[0]) {
      protocol.writes++;
      return jsonHubProtocol.write(message);
    },
  };
  return protocol;
}

test('serializes once per protocol however many recipients ask', () => {
  const a = counting('a');
  const b = counting('b');
  const c = counting('c');
  const message = new SerializedMessage({ type: MessageType.Invocation, target: 't', arguments: [1] });
  for (let i = 0; i < 1000; i++) {
    message.get(a);
    message.get(b);
    message.get(c);
  }
  assert.deepEqual([a.writes, b.writes, c.writes], [1, 1, 1]);
  assert.ok(Buffer.isBuffer(message.get(a)));
  assert.equal(message.get(a).toString(), '{"type":1,"target":"t","arguments":[1]}\u001e');
  assert.equal(message.get(a), message.get(a));
});

test('a message made from bytes gives those bytes by protocol name, and fails clearly for another protocol', () => {
  const json = counting('json');
  const bytes = Buffer.from('{"type":1,"target":"t","arguments":[]}\x1e');
  const message = SerializedMessage.fromBytes(new Map([['json', bytes]]));
  assert.equal(message.message, undefined);
  assert.equal(message.get(json), bytes);
  assert.equal(json.writes, 0);
  assert.throws(() => message.get(counting('messagepack')), { code: 'HUB_ERR_SERIALIZATION', message: /without a 'messagepack' serialization/ });
});
