import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HubwireError } from '../../core/errors.js';
import { jsonHubProtocol } from '../../protocol/json/json-hub-protocol.js';
import { MessageType, type InvocationMessage } from '../../protocol/messages.js';
import { messagePackHubProtocol } from '../../protocol/msgpack/msgpack-hub-protocol.js';
import type { HubProtocol } from '../../protocol/hub-protocol.js';
import { PositionedMessage } from './positioned-message.js';

const protocols = [jsonHubProtocol, messagePackHubProtocol];
const invocation: InvocationMessage = { type: MessageType.Invocation, target: 'notify', arguments: ['hello', { n: 1 }] };
const bytesOf = (message: InvocationMessage, among: readonly HubProtocol[] = protocols) =>
  new Map(among.map((protocol) => [protocol.name, Buffer.from(protocol.write(message))]));
const parse = (protocol: HubProtocol, bytes: Buffer) => protocol.parse(bytes, null).messages[0] as InvocationMessage;
const position = { group: 'org:1', offset: 7, epoch: 'e1' };

describe('PositionedMessage', () => {
  test('appends the position as the last argument, in each protocol, written once per protocol', () => {
    const message = new PositionedMessage(bytesOf(invocation), position, protocols);
    for (const protocol of protocols) {
      const bytes = message.get(protocol);
      assert.deepEqual(parse(protocol, bytes).arguments, ['hello', { n: 1 }, position]);
      assert.equal(parse(protocol, bytes).target, 'notify');
      assert.equal(message.get(protocol), bytes, 'cached');
    }
  });

  test('without a position the bytes go as they came', () => {
    const bytes = bytesOf(invocation);
    const message = new PositionedMessage(bytes, undefined, protocols);
    assert.equal(message.get(jsonHubProtocol), bytes.get('json'));
    assert.equal(message.get(messagePackHubProtocol), bytes.get('messagepack'));
  });

  test('a protocol the publishing node did not write is made from another one', () => {
    const message = new PositionedMessage(bytesOf(invocation, [jsonHubProtocol]), position, protocols);
    assert.deepEqual(parse(messagePackHubProtocol, message.get(messagePackHubProtocol)).arguments, ['hello', { n: 1 }, position]);
    const plain = new PositionedMessage(bytesOf(invocation, [jsonHubProtocol]), undefined, protocols);
    assert.deepEqual(parse(messagePackHubProtocol, plain.get(messagePackHubProtocol)).arguments, ['hello', { n: 1 }]);
  });

  test('bytes no protocol can read fail that recipient with HUB_ERR_BACKPLANE', () => {
    const message = new PositionedMessage(new Map([['json', Buffer.from('not json\u001e')]]), position, protocols);
    assert.throws(() => message.get(jsonHubProtocol), (error: unknown) => error instanceof HubwireError && error.code === 'HUB_ERR_BACKPLANE');
    assert.throws(() => message.get(messagePackHubProtocol), (error: unknown) => error instanceof HubwireError && error.code === 'HUB_ERR_BACKPLANE');
    assert.equal(message.invocation(), null);
    assert.equal(message.keyOf(() => 'k'), undefined);
  });

  test('keyOf computes a keep-latest key once from the published arguments (no position)', () => {
    const message = new PositionedMessage(bytesOf(invocation), position, protocols);
    let calls = 0;
    const key = (target: string, args: readonly unknown[]) => (calls++, `${target}/${String(args[0])}/${args.length}`);
    assert.equal(message.keyOf(key), 'notify/hello/2');
    assert.equal(message.keyOf(key), 'notify/hello/2');
    assert.equal(calls, 1);
    const throwing = new PositionedMessage(bytesOf(invocation), position, protocols);
    assert.equal(throwing.keyOf(() => { throw new Error('bad key'); }), undefined);
  });
});
