import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HANDSHAKE_SUCCESS, handshakeErrorResponse, parseHandshakeRequest } from './handshake.js';

const RS = '\u001e';

test('parses a handshake and reports how much it used', () => {
  const input = Buffer.from(`{"protocol":"json","version":1}${RS}{"type":6}${RS}`);
  const parsed = parseHandshakeRequest(input);
  assert.deepEqual(parsed?.request, { protocol: 'json', version: 1 });
  assert.equal(parsed?.consumed, `{"protocol":"json","version":1}${RS}`.length);
});

test('waits for the separator', () => {
  assert.equal(parseHandshakeRequest(Buffer.from('{"protocol":"json",')), undefined);
});

test('ignores unknown properties', () => {
  assert.deepEqual(parseHandshakeRequest(Buffer.from(`{"protocol":"json","version":2,"x":1}${RS}`))?.request, { protocol: 'json', version: 2 });
});

for (const [input, detail] of [
  ['nope', /^Error reading JSON\./],
  ['{"version":1}', /^Missing required property 'protocol'\./],
  ['{"protocol":"json"}', /^Missing required property 'version'\./],
  ['{"protocol":1,"version":1}', /^Expected 'protocol' to be of type String\./],
  ['{"protocol":"json","version":"1"}', /^Expected 'version' to be of type Integer\./],
  ['{"type":1,"target":"x","arguments":[]}', /^Missing required property 'protocol'\./],
] as const) {
  test(`refuses ${input}`, () => {
    assert.throws(() => parseHandshakeRequest(Buffer.from(input + RS)), (error: Error) => detail.test(error.message));
  });
}

test('writes the responses', () => {
  assert.equal(HANDSHAKE_SUCCESS, `{}${RS}`);
  assert.equal(handshakeErrorResponse("The protocol 'xml' is not supported."), `{"error":"The protocol 'xml' is not supported."}${RS}`);
});
