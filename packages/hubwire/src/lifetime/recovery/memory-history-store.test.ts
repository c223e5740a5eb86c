import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryHistoryStore } from './memory-history-store.js';

const limits = { maxCount: 3, maxAge: 1000, metaTtl: 10_000 };
const payload = (text: string) => Buffer.from(text);
const texts = (entries: readonly { payload: Buffer }[]) => entries.map((entry) => entry.payload.toString());

function clocked() {
  let now = 1_000_000;
  let epochs = 0;
  const store = new MemoryHistoryStore({ now: () => now, newEpoch: () => `e${++epochs}` });
  return { store, advance: (ms: number) => (now += ms) };
}

describe('MemoryHistoryStore', () => {
  test('offsets grow by one within one epoch; reads return entries after an offset, at most limit', async () => {
    const { store } = clocked();
    for (let i = 1; i <= 3; i++) assert.deepEqual(await store.append('g', payload(`m${i}`), limits), { kind: 'appended', position: { offset: i, epoch: 'e1' } });
    const read = await store.read('g', 1, 10, limits);
    assert.deepEqual({ ...read, entries: texts(read.entries) }, { epoch: 'e1', top: 3, floor: 1, entries: ['m2', 'm3'] });
    assert.deepEqual(read.entries.map((entry) => entry.offset), [2, 3]);
    assert.deepEqual(texts((await store.read('g', 0, 1, limits)).entries), ['m1']);
    assert.deepEqual((await store.read('g', 0, 0, limits)).entries, []);
    assert.deepEqual((await store.read('g', 3, 10, limits)).entries, []);
    assert.deepEqual((await store.read('other', 0, 10, limits)), { epoch: 'e2', top: 0, floor: 1, entries: [] });
  });

  test('maxCount trims the oldest; the floor is the first entry kept', async () => {
    const { store } = clocked();
    for (let i = 1; i <= 7; i++) await store.append('g', payload(`m${i}`), limits);
    const read = await store.read('g', 0, 10, limits);
    assert.equal(read.floor, 5);
    assert.deepEqual(texts(read.entries), ['m5', 'm6', 'm7']);
    assert.deepEqual(texts((await store.read('g', 5, 10, limits)).entries), ['m6', 'm7']);
  });

  test('maxAge trims on read too; with nothing left the floor is top + 1 and the meta stays', async () => {
    const { store, advance } = clocked();
    await store.append('g', payload('m1'), limits);
    advance(600);
    await store.append('g', payload('m2'), limits);
    advance(400); // m1 is exactly maxAge old: kept
    assert.deepEqual(texts((await store.read('g', 0, 10, limits)).entries), ['m1', 'm2']);
    advance(1);
    assert.deepEqual(texts((await store.read('g', 0, 10, limits)).entries), ['m2']);
    advance(600);
    assert.deepEqual(await store.read('g', 0, 10, limits), { epoch: 'e1', top: 2, floor: 3, entries: [] });
  });

  test('a group idle for metaTtl is forgotten: its next use starts a new epoch', async () => {
    const { store, advance } = clocked();
    await store.append('g', payload('m1'), limits);
    advance(9_999);
    assert.equal((await store.read('g', 0, 10, limits)).epoch, 'e1');
    advance(1);
    assert.deepEqual(await store.append('g', payload('m1'), limits), { kind: 'appended', position: { offset: 1, epoch: 'e2' } });
    // Untouched groups are swept, so memory follows the groups in use.
    for (let i = 0; i < 2000; i++) await store.read(`probe-${i}`, 0, 0, limits);
    assert.ok(store.size > 2000);
    advance(20_000);
    for (let i = 0; i < 1100; i++) await store.read('g', 0, 0, limits);
    assert.equal(store.size, 1);
  });

  test('an expected offset: at or below the top a duplicate; above top + 1 a hole', async () => {
    const { store } = clocked();
    assert.deepEqual(await store.append('g', payload('a'), limits, 5), { kind: 'appended', position: { offset: 5, epoch: 'e1' } });
    assert.deepEqual(await store.append('g', payload('b'), limits, 5), { kind: 'duplicate', position: { offset: 5, epoch: 'e1' } });
    assert.deepEqual(await store.append('g', payload('c'), limits, 2), { kind: 'duplicate', position: { offset: 5, epoch: 'e1' } });
    await store.append('g', payload('d'), limits, 6);
    await store.append('g', payload('e'), limits, 9);
    await store.append('g', payload('f'), limits);
    const read = await store.read('g', 0, 10, limits);
    assert.deepEqual({ top: read.top, floor: read.floor, entries: texts(read.entries) }, { top: 10, floor: 9, entries: ['e', 'f'] });
    assert.deepEqual(texts((await store.read('g', 9, 10, limits)).entries), ['f']);
  });
});
