import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hub } from './hub.js';
import { buildMethodTable } from './method-table.js';

class Base extends Hub {
  shared(a: number) {
    return a;
  }
  override onConnected() {}
}
class Child extends Base {
  add(a: number, b: number) {
    return a + b;
  }
  override shared(a: number) {
    return a * 2;
  }
  _helper() {}
  get computed() {
    return 1;
  }
}

test('collects public methods up the chain, lower-cased, with their parameter counts', () => {
  const table = buildMethodTable(Child);
  assert.deepEqual([...table.keys()].sort(), ['add', 'shared']);
  assert.equal(table.get('add')?.parameterCount, 2);
  assert.equal(table.get('shared')?.fn, Child.prototype.shared);
});

test('refuses two methods differing only in case', () => {
  class Clash extends Hub {
    send() {}
    Send() {}
  }
  assert.throws(() => buildMethodTable(Clash), /two methods named/);
});

test('async * methods stream by themselves; streamingMethods declares plain ones, in any case', () => {
  class Feed extends Hub {
    async *ticks() {
      yield 1;
    }
    readable(): ReadableStream<number> {
      return new ReadableStream();
    }
    plain() {
      return 1;
    }
  }
  const undeclared = buildMethodTable(Feed);
  assert.deepEqual(
    [...undeclared.values()].map((m) => [m.name, m.isStreaming]),
    [
      ['ticks', true],
      ['readable', false],
      ['plain', false],
    ],
  );
  const declared = buildMethodTable(Feed, ['Readable']);
  assert.equal(declared.get('readable')?.isStreaming, true);
  assert.equal(declared.get('plain')?.isStreaming, false);
  assert.throws(() => buildMethodTable(Feed, ['missing']), /streamingMethods names 'missing', which is not a method of hub 'Feed'/);
});
