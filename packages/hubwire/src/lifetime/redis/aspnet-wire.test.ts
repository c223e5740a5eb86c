/**
 * Byte vectors of ASP.NET Core's Redis backplane layouts (protocol reference §14.3, checked
 * against `RedisProtocol.cs` of `Microsoft.AspNetCore.SignalR.StackExchangeRedis`): what
 * MessagePack-CSharp writes for each, encoded here byte for byte and decoded back, plus the
 * reader's rules (longer arrays accepted, shorter refused with ASP.NET's text).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jsonHubProtocol } from '../../protocol/json/json-hub-protocol.js';
import { MessageType } from '../../protocol/messages.js';
import { messagePackHubProtocol } from '../../protocol/msgpack/msgpack-hub-protocol.js';
import { decodeAck, decodeGroupCommand, decodeInvocation, decodeReturn, encodeAck, encodeGroupCommand, encodeInvocation, encodeReturn, GroupAction } from './aspnet-wire.js';

/** Hex with spaces and `"text"` pieces (as UTF-8), the way the reference writes its examples. */
function bytes(...parts: string[]): Buffer {
  return Buffer.concat(parts.map((part) => (part.startsWith('"') ? Buffer.from(JSON.parse(part) as string, 'utf8') : Buffer.from(part.replace(/\s+/g, ''), 'hex'))));
}

const sendJson = '{"type":1,"target":"Send","arguments":["hi"]}\x1e';
const sendMessagePack = bytes('0e 96 01 80 c0 a4', '"Send"', '91 a2', '"hi"', '90');

describe('ASP.NET Redis layouts, byte for byte', () => {
  test("the envelope of Clients.All.SendAsync(\"Send\", \"hi\"): [[], {json: bin, messagepack: bin}]", () => {
    const expected = bytes('92 90 82', 'a4', '"json"', 'c4 2e', JSON.stringify(sendJson), 'ab', '"messagepack"', 'c4 0f', sendMessagePack.toString('hex'));
    // The hub message bytes are Hubwire's own protocols' output: they match .NET's too.
    const message = { type: MessageType.Invocation, target: 'Send', arguments: ['hi'] } as const;
    const json = Buffer.from(jsonHubProtocol.write(message));
    const messagePack = Buffer.from(messagePackHubProtocol.write(message));
    assert.deepEqual(json, Buffer.from(sendJson));
    assert.deepEqual(messagePack, sendMessagePack);
    const encoded = encodeInvocation({ excluded: [], bytes: new Map([['json', json], ['messagepack', messagePack]]) });
    assert.equal(encoded.toString('hex'), expected.toString('hex'));
    const decoded = decodeInvocation(expected);
    assert.deepEqual(decoded.excluded, []);
    assert.deepEqual([...decoded.bytes.keys()], ['json', 'messagepack']);
    assert.deepEqual(decoded.bytes.get('json'), json);
    assert.deepEqual(decoded.bytes.get('messagepack'), messagePack);
    assert.equal(decoded.invocationId, undefined);
  });

  test('excluded ids are an array of str (AllExcept, OthersInGroup)', () => {
    const encoded = encodeInvocation({ excluded: ['AbC', 'dEf'], bytes: new Map([['json', Buffer.from('{}\x1e')]]) });
    assert.equal(encoded.toString('hex'), bytes('92 92 a3', '"AbC"', 'a3', '"dEf"', '81 a4', '"json"', 'c4 03 7b 7d 1e').toString('hex'));
    assert.deepEqual(decodeInvocation(encoded).excluded, ['AbC', 'dEf']);
  });

  test('the 4-item envelope of a client-result call: invocation id, then return channel', () => {
    const json = '{"type":1,"invocationId":"Zm9v","target":"Ask","arguments":[1]}\x1e';
    const messagePack = bytes('0f 96 01 80 a4', '"Zm9v"', 'a3', '"Ask"', '91 01 90');
    const returnChannel = 'MyApp.Hubs.ChatHub:internal:return:node-1';
    const expected = bytes('94 90 82 a4', '"json"', 'c4 40', JSON.stringify(json), 'ab', '"messagepack"', 'c4 10', messagePack.toString('hex'), 'a4', '"Zm9v"', 'd9 29', JSON.stringify(returnChannel));
    const message = { type: MessageType.Invocation, invocationId: 'Zm9v', target: 'Ask', arguments: [1] } as const;
    assert.deepEqual(Buffer.from(jsonHubProtocol.write(message)), Buffer.from(json));
    assert.deepEqual(Buffer.from(messagePackHubProtocol.write(message)), messagePack);
    const encoded = encodeInvocation({ excluded: [], bytes: new Map([['json', Buffer.from(json)], ['messagepack', messagePack]]), invocationId: 'Zm9v', returnChannel });
    assert.equal(encoded.toString('hex'), expected.toString('hex'));
    const decoded = decodeInvocation(expected);
    assert.equal(decoded.invocationId, 'Zm9v');
    assert.equal(decoded.returnChannel, returnChannel);
    assert.deepEqual(decoded.bytes.get('messagepack'), messagePack);
  });

  test('a group command: [7, "node-1", 1, "room", "AbC"]', () => {
    const expected = bytes('95 07 a6', '"node-1"', '01 a4', '"room"', 'a3', '"AbC"');
    const command = { id: 7, serverName: 'node-1', action: GroupAction.Add, group: 'room', connectionId: 'AbC' };
    assert.equal(encodeGroupCommand(command).toString('hex'), expected.toString('hex'));
    assert.deepEqual(decodeGroupCommand(expected), command);
    assert.deepEqual(decodeGroupCommand(encodeGroupCommand({ ...command, action: GroupAction.Remove })).action, 2);
  });

  test('ids are written compactly, as MessagePack-CSharp writes an Int32, and any int form is read', () => {
    assert.equal(encodeAck(7).toString('hex'), '9107');
    assert.equal(encodeAck(200).toString('hex'), '91ccc8');
    assert.equal(encodeAck(300).toString('hex'), '91cd012c');
    assert.equal(encodeAck(2 ** 31 - 1).toString('hex'), '91ce7fffffff');
    assert.equal(decodeAck(bytes('91 07')), 7);
    for (const form of ['d0 07', 'd1 00 07', 'd2 00 00 00 07', 'cc 07', 'ce 00 00 00 07', 'cf 00 00 00 00 00 00 00 07', 'd3 00 00 00 00 00 00 00 07']) {
      assert.equal(decodeAck(bytes('91', form)), 7, form);
    }
    assert.throws(() => decodeAck(bytes('91 ce 80 00 00 00')), /does not fit an Int32/);
    assert.throws(() => decodeAck(bytes('91 a1 37')), /Expected an int/);
  });

  test('a return result: ["json", bin(framed Completion)]', () => {
    const completion = '{"type":3,"invocationId":"Zm9v","result":42}\x1e';
    const expected = bytes('92 a4', '"json"', 'c4 2d', JSON.stringify(completion));
    const written = Buffer.from(jsonHubProtocol.write({ type: MessageType.Completion, invocationId: 'Zm9v', result: 42, hasResult: true }));
    assert.deepEqual(written, Buffer.from(completion));
    assert.equal(encodeReturn({ protocolName: 'json', completion: written }).toString('hex'), expected.toString('hex'));
    assert.deepEqual(decodeReturn(expected), { protocolName: 'json', completion: Buffer.from(completion) });
  });

  test('long str, bin and arrays take their 8/16/32-bit forms', () => {
    const name = 'g'.repeat(300);
    const command = encodeGroupCommand({ id: 1, serverName: 's', action: 1, group: name, connectionId: 'c' });
    assert.equal(command.subarray(5, 8).toString('hex'), 'da012c');
    assert.deepEqual(decodeGroupCommand(command).group, name);
    const big = Buffer.alloc(70_000, 1);
    const envelope = encodeInvocation({ excluded: Array.from({ length: 16 }, (_, i) => `c${i}`), bytes: new Map([['json', big]]) });
    assert.equal(envelope.subarray(1, 4).toString('hex'), 'dc0010');
    const decoded = decodeInvocation(envelope);
    assert.equal(decoded.excluded.length, 16);
    assert.deepEqual(decoded.bytes.get('json'), big);
  });
});

describe('ASP.NET Redis layouts: what readers accept', () => {
  test('arrays longer than a layout needs are read, their extra items ignored', () => {
    // A 3-item envelope is an ordinary send: ASP.NET reads the call items only from 4 items on.
    assert.equal(decodeInvocation(bytes('93 90 80 a4', '"Zm9v"')).invocationId, undefined);
    const five = decodeInvocation(bytes('95 90 81 a4', '"json"', 'c4 01 7b a4', '"Zm9v"', 'a3', '"ret"', 'c3'));
    assert.equal(five.invocationId, 'Zm9v');
    assert.equal(five.returnChannel, 'ret');
    assert.deepEqual(decodeGroupCommand(bytes('96 07 a1', '"s"', '02 a1', '"g"', 'a1', '"c"', 'ff')).action, 2);
    assert.equal(decodeAck(bytes('92 07 c0')), 7);
    assert.deepEqual(decodeReturn(bytes('93 a4', '"json"', 'c4 01 7b 90')).completion, Buffer.from('{'));
    // A deliberate difference: the payload is decoded whole (by @msgpack/msgpack), so bytes that
    // are not MessagePack fail it even past the required items, which ASP.NET's reader never reads.
    // No .NET writer produces such bytes.
    assert.throws(() => decodeAck(bytes('92 07 c1')), RangeError);
  });

  test('shorter arrays are refused with ASP.NET\'s texts', () => {
    assert.throws(() => decodeInvocation(bytes('91 90')), { name: 'RangeError', message: 'Insufficient items in Invocation array.' });
    assert.throws(() => decodeGroupCommand(bytes('94 07 a1', '"s"', '01 a1', '"g"')), { message: 'Insufficient items in GroupCommand array.' });
    assert.throws(() => decodeAck(bytes('90')), { message: 'Insufficient items in Ack array.' });
    assert.throws(() => decodeReturn(bytes('91 a4', '"json"')), { message: 'Insufficient items in CompletionMessage array.' });
  });

  test('a 4-item envelope with a nil invocation id is an ordinary send; nil bytes read as empty', () => {
    const decoded = decodeInvocation(bytes('94 90 81 a4', '"json"', 'c0 c0 c0'));
    assert.equal(decoded.invocationId, undefined);
    assert.deepEqual(decoded.bytes.get('json'), Buffer.alloc(0));
  });

  test('truncated or mistyped input fails with a RangeError, never a half-read message', () => {
    const good = encodeGroupCommand({ id: 1, serverName: 'node', action: 1, group: 'room', connectionId: 'c' });
    for (let cut = 0; cut < good.length; cut++) assert.throws(() => decodeGroupCommand(good.subarray(0, cut)), RangeError, `cut at ${cut}`);
    assert.throws(() => decodeInvocation(Buffer.from('not ours')), RangeError);
    assert.throws(() => decodeInvocation(bytes('92 90 81 a4', '"json"', 'a1 7b')), /Expected a bin/);
    assert.throws(() => decodeInvocation(bytes('92 c4 00 80')), /Expected an array/);
    assert.throws(() => decodeGroupCommand(bytes('95 07 c0 01 a1', '"g"', 'a1', '"c"')), /server name is nil/);
  });
});
