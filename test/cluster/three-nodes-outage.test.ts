/**
 * Three server processes whose Redis dies in the middle of a burst of chat messages and comes
 * back: local delivery never stops (clients on the sender's node get every message, in order),
 * no process crashes, cross-node delivery resumes by itself, and each node logs the outage once
 * and the recovery once.
 *
 * The Redis here is a redis-server of this test's own (test/support/redis-server.ts), never the
 * shared one on 127.0.0.1:6379: stopping that would break the other test files that run in
 * parallel with this one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OwnRedisServer } from '../support/redis-server.js';
import { ServerCluster, type NodeLogLine, type signalR } from '../support/server-cluster.js';
import { until, within } from '../support/wait.js';

interface ChatMessage {
  readonly user: string;
  readonly text: string;
}

const OUTAGE_MS = 1500;
const APP_DOWN = 'Redis connection failed; the cluster state is unavailable until it is back';
const APP_BACK = 'Redis connection is back';

/** One node's sender and receiver, and what the receiver got from each node's sender. */
interface Pair {
  readonly index: number;
  readonly sender: signalR.HubConnection;
  readonly receiver: signalR.HubConnection;
  /** Sequence numbers received per sending node, in arrival order. */
  readonly got: number[][];
  sent: number;
  readonly failures: string[];
}

describe('Redis restarted in the middle of a burst, three server processes', () => {
  let redis: OwnRedisServer;
  let cluster: ServerCluster;

  before(async () => {
    redis = await OwnRedisServer.start();
    cluster = await ServerCluster.start(3, { redisUrl: redis.url });
  });
  after(async () => {
    await cluster?.stopAll();
    await redis?.stop();
  });

  test('local delivery goes on, nothing crashes, cross-node delivery comes back by itself, the log says so once', async (t) => {
    const token = await cluster.token(0, 'jane.smith');
    const pairs: Pair[] = await Promise.all(
      [0, 1, 2].map(async (index) => {
        const got: number[][] = [[], [], []];
        const receiver = await cluster.connect(index, '/hubs/chat', {
          token,
          protocol: index === 1 ? 'messagepack' : 'json',
          on: {
            ReceiveMessage: (message: ChatMessage) => {
              const [from, sequence] = message.text.split(':').map(Number) as [number, number];
              got[from]!.push(sequence);
            },
          },
        });
        const sender = await cluster.connect(index, '/hubs/chat', { token, protocol: index === 2 ? 'messagepack' : 'json' });
        return { index, sender, receiver, got, sent: 0, failures: [] };
      }),
    );

    // Every sender sends one message after the other (each awaited) until told to stop.
    let sending = true;
    const bursts = pairs.map(async (pair) => {
      while (sending) {
        const sequence = pair.sent;
        try {
          await within(pair.sender.invoke('SendMessage', `${pair.index}:${sequence}`), 3000, 'SendMessage');
        } catch (error) {
          pair.failures.push(`${sequence}: ${(error as Error).message}`);
        }
        pair.sent++;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    });
    const everyNodeHears = (since: number[]) => pairs.every((pair) => pair.got.every((sequences, from) => sequences.some((sequence) => sequence >= since[from]!)));

    try {
      await until(() => everyNodeHears([0, 0, 0]), 5000, 'cross-node delivery before the outage');
      await redis.stop();
      const downAt = pairs.map((pair) => pair.sent);
      const outageEnds = Date.now() + OUTAGE_MS;
      // Local delivery during the outage: each receiver keeps getting its own node's messages.
      await until(() => pairs.every((pair) => pair.got[pair.index]!.some((sequence) => sequence >= downAt[pair.index]! + 10)), 5000, 'local delivery while Redis is down');
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, outageEnds - Date.now())));
      for (const index of [0, 1, 2]) assert.ok(cluster.node(index).alive, `node ${index} runs through the outage`);

      await redis.restart();
      const restartedAt = Date.now();
      const upAt = pairs.map((pair) => pair.sent);
      await until(() => everyNodeHears(upAt), 10_000, 'cross-node delivery after Redis is back');
      t.diagnostic(`every node heard every other node again ${Date.now() - restartedAt} ms after Redis answered again`);
    } finally {
      sending = false;
      await within(Promise.all(bursts), 5000, 'the bursts to end');
    }

    for (const pair of pairs) {
      assert.deepEqual(pair.failures, [], `node ${pair.index}: no SendMessage failed`);
      const last = pair.sent - 1;
      await until(() => pair.got[pair.index]!.at(-1) === last, 5000, `node ${pair.index}'s last message at its own receiver`);
      const local = pair.got[pair.index]!;
      assert.deepEqual(local, Array.from({ length: pair.sent }, (_, i) => i), `node ${pair.index}: every local message once, in order`);
      for (const [from, sequences] of pair.got.entries()) {
        for (let i = 1; i < sequences.length; i++) assert.ok(sequences[i]! > sequences[i - 1]!, `node ${pair.index} from node ${from}: in order, no duplicates`);
      }
    }
    for (const index of [0, 1, 2]) assert.ok(cluster.node(index).alive, `node ${index} is alive`);

    for (const index of [0, 1, 2]) {
      const logs = cluster.node(index).logs;
      const messages = (text: string) => logs.filter((line) => line.msg === text);
      // The app's connection: once down, once back, in that order.
      assert.equal(messages(APP_DOWN).length, 1, `node ${index} logs the outage once: ${summary(logs)}`);
      await cluster.logLine(index, (line) => line.msg === APP_BACK, 5000, 'the recovery line');
      assert.equal(messages(APP_BACK).length, 1, `node ${index} logs the recovery once`);
      assert.ok(messages(APP_DOWN)[0]!.time <= messages(APP_BACK)[0]!.time);
      // The hubs' backplane and the app's other state: each warning at most once per hub and
      // outage, never one per message sent while Redis was down.
      const perKind = new Map<string, number>();
      for (const line of logs.filter((entry) => entry.level === 40)) {
        const kind = `${String(line['hub'] ?? line['module'] ?? 'app')}: ${line.msg}`;
        perKind.set(kind, (perKind.get(kind) ?? 0) + 1);
      }
      for (const [kind, count] of perKind) assert.equal(count, 1, `node ${index}, ${kind}: logged ${count} times`);
      assert.ok(!logs.some((line) => line.level >= 50), `node ${index}: no error or fatal lines: ${summary(logs.filter((line) => line.level >= 50))}`);
    }
    assert.deepEqual(cluster.linesContaining([cluster.jwtSecret, token]), [], 'no secret in the outage and recovery lines');
  });
});

function summary(lines: readonly NodeLogLine[]): string {
  return lines.map((line) => `${line.level} ${line.msg}${typeof line['hub'] === 'string' ? ` (${line['hub']})` : ''}`).join(' | ');
}
