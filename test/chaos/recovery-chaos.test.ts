/**
 * The recovery chaos scenario at CI size, with the code of `npm run chaos` (chaos-scenario.ts):
 * 120 official clients (JSON and MessagePack, three groups each of 30) over three node processes on the local Redis,
 * bursts to recoverable groups from every node, random socket cuts during the bursts, and one
 * node SIGKILLed mid-burst. Every client must end with each of its groups' offsets 1…top, each
 * once and in order; every recovering join must be recovered (no snapshot fallback: the window
 * covers the run). The run must also have been chaotic: cuts of both kinds, a node killed with
 * sends still unanswered, its clients reconnected elsewhere, messages replayed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summaryLine } from './chaos-report.js';
import { FULL_RUN, passed, runChaos, type ChaosConfig } from './chaos-scenario.js';

const CI_RUN: ChaosConfig = {
  ...FULL_RUN,
  seed: 42,
  clients: 120,
  // A dozen members per group, four per node: cuts leave a node with none of a group now and then,
  // so it stops hearing the group and must subscribe again for the next recovery.
  groups: 30,
  groupsPerClient: 3,
  bursts: 10,
  groupsPerBurst: 10,
  messagesPerSend: 4,
  cutsPerBurst: 16,
  awayMs: 300,
  killAtBurst: 5,
  deadlineMs: 40_000,
};

describe('recovery under chaos (CI size)', () => {
  it('loses, repeats and reorders nothing through socket cuts and a node killed mid-burst, and recovers every reconnect', { timeout: 90_000 }, async () => {
    const figures = await runChaos(CI_RUN);
    const summary = summaryLine(figures);
    assert.deepEqual(figures.errors, [], summary);
    assert.deepEqual(
      { lost: figures.lost, duplicated: figures.duplicated, outOfOrder: figures.outOfOrder, unexpected: figures.unexpected, conflicts: figures.conflicts, senderDisorder: figures.senderDisorder },
      { lost: 0, duplicated: 0, outOfOrder: 0, unexpected: 0, conflicts: 0, senderDisorder: 0 },
      summary,
    );
    assert.equal(figures.lostAcknowledged, 0, `acknowledged sends missing from the history: ${summary}`);
    assert.equal(figures.phantom, 0, summary);
    assert.equal(figures.deliveriesReceived, figures.deliveriesExpected, summary);
    assert.equal(figures.fallbacks, 0, `joins not recovered: ${summary}`);
    assert.equal(figures.snapshots, 0, summary);
    assert.equal(figures.recoveredJoins, figures.joins, summary);
    assert.ok(passed(figures), summary);

    // The chaos happened.
    assert.ok(figures.cuts.terminate > 0 && figures.cuts.stop > 0, `cuts of both kinds: ${summary}`);
    assert.ok(figures.kill.clients > 0, `the killed node had clients: ${summary}`);
    assert.ok(figures.kill.attempted > figures.kill.acknowledged, `the kill left sends unanswered (mid-burst): ${summary}`);
    assert.ok(figures.reconnects >= figures.kill.clients, `the killed node's clients reconnected: ${summary}`);
    assert.equal(figures.joins, figures.reconnects * CI_RUN.groupsPerClient, summary);
    assert.ok(figures.replayed > 0, `messages were replayed: ${summary}`);
    assert.ok(figures.messages >= CI_RUN.bursts * 2 * CI_RUN.groupsPerBurst * CI_RUN.messagesPerSend, summary);
  });
});
