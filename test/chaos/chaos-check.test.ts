/**
 * The chaos checks themselves: each kind of damage a run could suffer (a lost, repeated or
 * reordered offset, two tags at one offset, a sender's messages out of order, an acknowledged
 * send missing) is counted, and a clean log counts nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSenders, checkStream, quantile, rebuildHistory, type SenderCount } from './chaos-check.js';

describe('chaos checks', () => {
  it('count nothing for exactly 1…top in order', () => {
    assert.deepEqual(checkStream([1, 2, 3, 4], 4), { lost: 0, duplicated: 0, outOfOrder: 0, unexpected: 0 });
    assert.deepEqual(checkStream([], 0), { lost: 0, duplicated: 0, outOfOrder: 0, unexpected: 0 });
  });

  it('count a lost, a repeated, a reordered and an unexpected offset', () => {
    assert.deepEqual(checkStream([1, 2, 4], 4), { lost: 1, duplicated: 0, outOfOrder: 0, unexpected: 0 });
    assert.deepEqual(checkStream([1, 2, 2, 3], 3), { lost: 0, duplicated: 1, outOfOrder: 0, unexpected: 0 });
    assert.deepEqual(checkStream([1, 3, 2, 4], 4), { lost: 0, duplicated: 0, outOfOrder: 1, unexpected: 0 });
    assert.deepEqual(checkStream([1, 2, 5], 2), { lost: 0, duplicated: 0, outOfOrder: 0, unexpected: 1 });
    // A replay that starts over after live messages: duplicates, not a reorder.
    assert.deepEqual(checkStream([1, 2, 3, 2, 3], 3), { lost: 0, duplicated: 2, outOfOrder: 0, unexpected: 0 });
  });

  const clean = { offsets: [1, 2, 3, 4], senders: [0, 1, 0, 1], seqs: [1, 1, 2, 2] };
  const counts = new Map<number, SenderCount>([
    [0, { acknowledged: 2, attempted: 2 }],
    [1, { acknowledged: 2, attempted: 2 }],
  ]);

  it('rebuild one history from several logs and find nothing wrong in a clean one', () => {
    const history = rebuildHistory([clean, { offsets: [3, 4], senders: [0, 1], seqs: [2, 2] }], 4);
    assert.deepEqual(history.tags, [undefined, '0:1', '1:1', '0:2', '1:2']);
    assert.equal(history.conflicts, 0);
    assert.deepEqual(checkSenders(history, counts), { disorder: 0, lostAcknowledged: 0, phantom: 0, unacknowledgedFound: 0, untagged: 0 });
  });

  it('count two tags at one offset', () => {
    const history = rebuildHistory([clean, { offsets: [2], senders: [0], seqs: [2] }], 4);
    assert.equal(history.conflicts, 1);
  });

  it("count a sender's messages out of order, an acknowledged send missing and sends beyond the attempted ones", () => {
    const swapped = rebuildHistory([{ offsets: [1, 2, 3, 4], senders: [0, 0, 1, 1], seqs: [2, 1, 1, 2] }], 4);
    assert.equal(checkSenders(swapped, counts).disorder, 2);
    const short = rebuildHistory([{ offsets: [1, 2, 3], senders: [0, 1, 0], seqs: [1, 1, 2] }], 3);
    assert.equal(checkSenders(short, counts).lostAcknowledged, 1);
    const killed = new Map<number, SenderCount>([...counts, [1, { acknowledged: 1, attempted: 2 }]]);
    assert.deepEqual(checkSenders(rebuildHistory([clean], 4), killed), { disorder: 0, lostAcknowledged: 0, phantom: 0, unacknowledgedFound: 1, untagged: 0 });
    const tooMany = new Map<number, SenderCount>([...counts, [1, { acknowledged: 1, attempted: 1 }]]);
    assert.equal(checkSenders(rebuildHistory([clean], 4), tooMany).phantom, 1);
    assert.equal(checkSenders(rebuildHistory([clean], 5), counts).untagged, 1);
  });

  it('take quantiles by nearest rank', () => {
    assert.equal(quantile([], 0.5), 0);
    assert.equal(quantile([5, 1, 3], 0.5), 3);
    assert.equal(quantile(Array.from({ length: 100 }, (_, i) => i + 1), 0.99), 99);
    assert.equal(quantile([1, 2], 1), 2);
  });
});
