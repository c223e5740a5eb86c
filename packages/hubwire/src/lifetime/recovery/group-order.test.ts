import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GroupOrder } from './group-order.js';
import type { HistoryRead, HistoryStore } from './recovery-types.js';

const limits = { maxCount: 100, maxAge: 60_000, metaTtl: 60_000 };
const payload = (offset: number) => Buffer.from(`p${offset}`);

/** A store holding whatever the test put in it; reads can be held until the test lets them go. */
class FakeStore implements HistoryStore {
  epoch = 'e1';
  readonly entries = new Map<number, Buffer>();
  readonly reads: { after: number; limit: number }[] = [];
  fail = false;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  put(...offsets: number[]): void {
    for (const offset of offsets) this.entries.set(offset, payload(offset));
  }

  /** Holds every read until `release()`. */
  hold(): void {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }

  release(): void {
    this.#open?.();
    this.#gate = undefined;
  }

  async append(): Promise<never> {
    throw new Error('not used');
  }

  async read(_group: string, after: number, limit: number): Promise<HistoryRead> {
    this.reads.push({ after, limit });
    await this.#gate;
    if (this.fail) throw new Error('store down');
    const offsets = [...this.entries.keys()].sort((a, b) => a - b);
    const top = offsets.at(-1) ?? 0;
    const entries = offsets.filter((offset) => offset > after).slice(0, limit).map((offset) => ({ offset, payload: this.entries.get(offset)! }));
    return { epoch: this.epoch, top, floor: offsets[0] ?? top + 1, entries };
  }
}

function setup(maxCount = limits.maxCount) {
  const store = new FakeStore();
  const delivered: string[] = [];
  let filled = 0;
  const order = new GroupOrder({
    group: 'g',
    store,
    limits: { ...limits, maxCount },
    deliver: (epoch, offset, body) => delivered.push(`${epoch}:${offset}:${body.toString()}`),
    filled: () => filled++,
  });
  const settled = async () => {
    for (let i = 0; i < 50 && order.busy; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(order.busy, false, 'the gap fill settled');
  };
  return { store, order, delivered, settled, filled: () => filled };
}

describe('GroupOrder', () => {
  test('in order: each entry delivered at once; duplicates and older ones dropped', () => {
    const { order, delivered, store } = setup();
    order.receive('e1', 4, payload(4));
    order.receive('e1', 5, payload(5));
    order.receive('e1', 5, payload(5));
    order.receive('e1', 3, payload(3));
    assert.deepEqual(delivered, ['e1:4:p4', 'e1:5:p5']);
    assert.equal(order.next, 6);
    assert.deepEqual(store.reads, [], 'the first entry heard is "now": nothing is read before it');
  });

  test('an entry ahead of a gap is held while the gap is read from the store, then order is kept', async () => {
    const { order, delivered, store, settled, filled } = setup();
    order.receive('e1', 1, payload(1));
    store.put(1, 2, 3, 4, 5);
    store.hold();
    order.receive('e1', 4, payload(4));
    order.receive('e1', 5, payload(5));
    assert.deepEqual(delivered, ['e1:1:p1']);
    assert.equal(order.held, 2);
    store.release();
    await settled();
    assert.deepEqual(delivered.map((line) => line.split(':')[1]), ['1', '2', '3', '4', '5']);
    assert.deepEqual(store.reads, [{ after: 1, limit: 2 }]);
    assert.equal(filled(), 2);
    assert.equal(order.held, 0);
  });

  test('a gap entry heard while the fill reads is delivered once', async () => {
    const { order, delivered, store, settled } = setup();
    order.receive('e1', 1, payload(1));
    store.put(1, 2, 3);
    store.hold();
    order.receive('e1', 3, payload(3));
    order.receive('e1', 2, payload(2)); // the late one arrives after all
    store.release();
    await settled();
    assert.deepEqual(delivered.map((line) => line.split(':')[1]), ['1', '2', '3']);
  });

  test('entries the store no longer has are skipped: members see a jump', async () => {
    const { order, delivered, store, settled } = setup();
    order.receive('e1', 1, payload(1));
    store.put(1, 3, 5); // 2 and 4 were lost (trimmed)
    order.receive('e1', 5, payload(5));
    await settled();
    assert.deepEqual(delivered.map((line) => line.split(':')[1]), ['1', '3', '5']);
    assert.equal(order.next, 6);
  });

  test('a failing read gives the gap up rather than holding entries forever', async () => {
    const { order, delivered, store, settled } = setup();
    order.receive('e1', 1, payload(1));
    store.fail = true;
    order.receive('e1', 3, payload(3));
    await settled();
    assert.deepEqual(delivered.map((line) => line.split(':')[1]), ['1', '3']);
  });

  test('held entries are bounded by maxCount: beyond it the gap is skipped', () => {
    const { order, delivered, store } = setup(3);
    order.receive('e1', 1, payload(1));
    store.hold();
    for (const offset of [3, 4, 5, 6]) order.receive('e1', offset, payload(offset));
    assert.deepEqual(delivered.map((line) => line.split(':')[1]), ['1', '3', '4', '5', '6']);
    assert.equal(order.held, 0);
    store.release();
  });

  test('another epoch: held entries of the old one go first, the new one is read from offset 1', async () => {
    const { order, delivered, store, settled } = setup();
    order.receive('e1', 1, payload(1));
    store.hold();
    order.receive('e1', 3, payload(3));
    store.epoch = 'e2';
    store.entries.clear();
    store.put(1, 2, 3);
    order.receive('e2', 3, payload(3));
    store.release();
    await settled();
    assert.deepEqual(delivered, ['e1:1:p1', 'e1:3:p3', 'e2:1:p1', 'e2:2:p2', 'e2:3:p3']);
  });

  test('resync reads what the node missed while its subscriber was away', async () => {
    const { order, delivered, store, settled } = setup(2);
    order.receive('e1', 1, payload(1));
    store.put(1, 2, 3, 4, 5);
    order.resync();
    await settled();
    assert.deepEqual(delivered.map((line) => line.split(':')[1]), ['1', '2', '3', '4', '5']);
    // Two entries a read (maxCount 2): it read on until a read came back short.
    assert.deepEqual(store.reads.map((read) => read.after), [1, 3, 5]);
  });

  test('resync after the history started again delivers the new epoch from its start', async () => {
    const { order, delivered, store, settled } = setup();
    order.receive('e1', 7, payload(7));
    store.epoch = 'e2';
    store.put(1, 2);
    order.resync();
    await settled();
    assert.deepEqual(delivered, ['e1:7:p7', 'e2:1:p1', 'e2:2:p2']);
  });

  test('resync before any entry was heard has nothing to compare with and reads nothing', async () => {
    const { order, store } = setup();
    order.resync();
    assert.deepEqual(store.reads, []);
  });

  test('close stops delivery, also of a fill under way', async () => {
    const { order, delivered, store, settled } = setup();
    order.receive('e1', 1, payload(1));
    store.put(1, 2, 3);
    store.hold();
    order.receive('e1', 3, payload(3));
    order.close();
    store.release();
    await settled();
    order.receive('e1', 2, payload(2));
    assert.deepEqual(delivered, ['e1:1:p1']);
  });
});
