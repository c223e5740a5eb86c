/**
 * The JSON reader's rules for empty strings, as ASP.NET's JsonHubProtocol binds messages: an
 * empty `target`, or an empty `invocationId` on a message that needs one, counts as missing
 * ("Missing required property 'X'."); an empty id only makes an Invocation non-blocking.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtocolError } from '../../core/errors.js';
import { readJsonMessage } from './json-reader.js';

const missing: [string, Record<string, unknown>, string][] = [
  ['Invocation with an empty target', { type: 1, target: '', arguments: [] }, 'target'],
  ['StreamInvocation with an empty target', { type: 4, invocationId: '1', target: '', arguments: [] }, 'target'],
  ['StreamInvocation with an empty id', { type: 4, invocationId: '', target: 'count', arguments: [] }, 'invocationId'],
  ['StreamItem with an empty id', { type: 2, invocationId: '', item: 1 }, 'invocationId'],
  ['Completion with an empty id', { type: 3, invocationId: '', result: 1 }, 'invocationId'],
  ['CancelInvocation with an empty id', { type: 5, invocationId: '' }, 'invocationId'],
];

describe('json reader: empty strings', () => {
  for (const [name, doc, property] of missing) {
    test(`${name} is "Missing required property '${property}'."`, () => {
      assert.throws(() => readJsonMessage(doc), (error: unknown) => error instanceof ProtocolError && error.message === `Missing required property '${property}'.`);
    });
  }

  test('a wrong type is reported before emptiness could be', () => {
    assert.throws(() => readJsonMessage({ type: 3, invocationId: 7 }), { message: "Expected 'invocationId' to be of type String." });
  });

  test('an Invocation with an empty id is non-blocking, not an error', () => {
    assert.deepEqual(readJsonMessage({ type: 1, invocationId: '', target: 'send', arguments: [] }), {
      type: 1,
      target: 'send',
      arguments: [],
      streamIds: undefined,
      headers: undefined,
    });
  });
});
