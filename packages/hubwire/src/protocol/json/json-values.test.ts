import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MessageType } from '../messages.js';
import { jsonHubProtocol } from './json-hub-protocol.js';
import { jsonValue } from './json-values.js';

describe('JSON payload values', () => {
  test('a Buffer and a Uint8Array are base64 strings, as System.Text.Json writes byte[]', () => {
    assert.equal(jsonValue(Buffer.from([1, 2, 3])), '"AQID"');
    assert.equal(jsonValue(new Uint8Array([1, 2, 3])), '"AQID"');
    assert.equal(jsonValue([Buffer.from('hi'), { bytes: new Uint8Array([255]) }]), '["aGk=",{"bytes":"/w=="}]');
  });

  test('empty, offset and other binary views are their own bytes', () => {
    assert.equal(jsonValue({ a: new Uint8Array(0), b: Buffer.alloc(0) }), '{"a":"","b":""}');
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    assert.equal(jsonValue(backing.subarray(1, 4)), '"AQID"');
    assert.equal(jsonValue(Buffer.from('xhix').subarray(1, 3)), '"aGk="');
    assert.equal(jsonValue(new Uint16Array([0x0201])), '"AQI="');
    assert.equal(jsonValue(new DataView(backing.buffer, 1, 3)), '"AQID"');
    assert.equal(jsonValue(new Uint8Array([1, 2, 3]).buffer), '"AQID"');
  });

  test('binary values behind a toJSON of its own are found too', () => {
    const wrapper = { toJSON: () => ({ payload: new Uint8Array([1, 2, 3]) }) };
    assert.equal(jsonValue([wrapper]), '[{"payload":"AQID"}]');
    assert.equal(jsonValue({ direct: { toJSON: () => Buffer.from([1]) } }), '{"direct":"AQ=="}');
  });

  test('a Date is its ISO-8601 string', () => {
    assert.equal(jsonValue([new Date(Date.UTC(2026, 11, 1, 9, 30))]), '["2026-12-01T09:30:00.000Z"]');
  });

  test('values without binary are exactly what JSON.stringify writes, look-alikes included', () => {
    const values: unknown[] = [
      'text with {} and {"0":1} and "type":"Buffer" inside',
      { empty: {}, list: [], n: 1.5, t: true, z: null },
      { 0: 'zero', 1: 'one' },
      { type: 'Buffer', data: [1, 2] },
      [undefined, () => 1],
      new Map([[1, 2]]),
    ];
    for (const value of values) assert.equal(jsonValue(value), JSON.stringify(value));
    assert.equal(jsonValue(undefined), 'null');
  });

  test('a circular value still fails as JSON.stringify fails', () => {
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    assert.throws(() => jsonValue(circular), TypeError);
  });
});

describe('json hub protocol: binary payloads', () => {
  test('arguments, stream items and results carry Buffers as base64', () => {
    const bytes = Buffer.from([0, 1, 254, 255]);
    assert.equal(
      jsonHubProtocol.write({ type: MessageType.Invocation, target: 'receive', arguments: [bytes, 'x'] }),
      '{"type":1,"target":"receive","arguments":["AAH+/w==","x"]}\u001e',
    );
    assert.equal(jsonHubProtocol.write({ type: MessageType.StreamItem, invocationId: '1', item: bytes }), '{"type":2,"invocationId":"1","item":"AAH+/w=="}\u001e');
    assert.equal(
      jsonHubProtocol.write({ type: MessageType.Completion, invocationId: '1', hasResult: true, result: { file: new Uint8Array(bytes) } }),
      '{"type":3,"invocationId":"1","result":{"file":"AAH+/w=="}}\u001e',
    );
  });
});
