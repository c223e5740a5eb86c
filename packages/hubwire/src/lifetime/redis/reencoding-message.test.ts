import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonHubProtocol } from '../../protocol/json/json-hub-protocol.js';
import { MessageType } from '../../protocol/messages.js';
import { messagePackHubProtocol } from '../../protocol/msgpack/msgpack-hub-protocol.js';
import { ReencodingMessage } from './reencoding-message.js';

const message = { type: MessageType.Invocation, target: 'Send', arguments: ['hi', { n: 1 }] } as const;

test('a serialization that came is written as it came; a missing one is made once from another', () => {
  const json = Buffer.from(jsonHubProtocol.write(message));
  const known = [jsonHubProtocol, messagePackHubProtocol];
  assert.equal(ReencodingMessage.needed(new Map([['json', json]]), known), true);
  assert.equal(ReencodingMessage.needed(new Map([['json', json], ['messagepack', Buffer.alloc(0)]]), known), false);
  const serialized = new ReencodingMessage(new Map([['json', json]]), known);
  assert.equal(serialized.get(jsonHubProtocol), json);
  const made = serialized.get(messagePackHubProtocol);
  assert.deepEqual(made, Buffer.from(messagePackHubProtocol.write(message)));
  assert.equal(serialized.get(messagePackHubProtocol), made, 'made once, shared by every recipient');
});

test('when no serialization can be read, only recipients of a missing protocol fail, with HUB_ERR_BACKPLANE', () => {
  const serialized = new ReencodingMessage(new Map([['json', Buffer.from('{not json\x1e')], ['blazorpack', Buffer.of(1)]]), [jsonHubProtocol, messagePackHubProtocol]);
  assert.deepEqual(serialized.get(jsonHubProtocol), Buffer.from('{not json\x1e'));
  assert.throws(() => serialized.get(messagePackHubProtocol), { code: 'HUB_ERR_BACKPLANE' });
});
