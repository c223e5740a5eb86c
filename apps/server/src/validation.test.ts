import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BadRequest } from './app-context.js';
import { optionalObject } from './validation.js';

describe('optionalObject', () => {
  test('keeps JSON values, drops undefined properties and turns dates into ISO strings', () => {
    const at = new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 678));
    const fields = { details: { text: 'x', n: 2 ** 40, f: 0.5, ok: true, none: null, gone: undefined, at, list: [at, undefined, { deep: at }] } };
    assert.deepEqual(optionalObject(fields, 'details'), {
      text: 'x',
      n: 2 ** 40,
      f: 0.5,
      ok: true,
      none: null,
      at: '2025-01-02T03:04:05.678Z',
      list: ['2025-01-02T03:04:05.678Z', null, { deep: '2025-01-02T03:04:05.678Z' }],
    });
    assert.equal(optionalObject({}, 'details'), undefined);
    assert.equal(optionalObject({ details: null }, 'details'), undefined);
  });

  test('a "__proto__" key of a JSON body stays a key', () => {
    const details = optionalObject(JSON.parse('{"details": {"__proto__": {"polluted": true}}}') as Record<string, unknown>, 'details')!;
    assert.equal(Object.getPrototypeOf(details), Object.prototype);
    assert.deepEqual(Object.keys(details), ['__proto__']);
    assert.equal((details as { polluted?: boolean }).polluted, undefined);
  });

  test('refuses what JSON cannot carry, naming the nested field', () => {
    const refused = (details: unknown, field: string, message: RegExp) =>
      assert.throws(
        () => optionalObject({ details }, 'details'),
        (error: unknown) => error instanceof BadRequest && error.field === field && message.test(error.message),
      );
    refused({ blob: new Uint8Array([1]) }, 'details.blob', /must not be binary data/);
    refused({ list: [1, Buffer.from('a')] }, 'details.list[1]', /must not be binary data/);
    refused({ ratio: Number.NaN }, 'details.ratio', /finite number/);
    refused({ when: new Date(Number.NaN) }, 'details.when', /valid date/);
    refused(new Date(0), 'details', /must be a JSON object/);
    refused([1], 'details', /must be a JSON object/);
    let deep: Record<string, unknown> = {};
    for (let level = 0; level < 40; level++) deep = { deep };
    assert.throws(() => optionalObject({ details: deep }, 'details'), /nested too deeply/);
  });
});
