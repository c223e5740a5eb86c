/**
 * Slow members of recoverable groups: a raw WebSocket client joins, then stops reading while the
 * group gets megabytes (past what the kernel buffers), beside an official client that keeps
 * reading. For each policy the stuck member is handled as declared — disconnected with
 * allowReconnect (and it recovers what it missed on a new connection), its oldest messages
 * dropped, or conflated per key — while the reader gets every message in order, batch by batch.
 * Every message is accounted for (delivered, dropped or conflated), so the queue is bounded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonHubProtocol, type CounterMetrics, type GroupPosition, type RecoveryOptions, type RecoveryResult, type SlowConsumerPolicy } from 'hubwire';
import { RS } from '../support/raw-client.js';
import { e2eScope } from '../support/redis-e2e.js';
import { maskedTextFrame, TcpWebSocket } from '../support/tcp-websocket.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';
import { FeedHub, range, startFeedClient, type FeedClientHandle } from './recovery-support.js';

const scope = e2eScope();

const MAX_QUEUED = 20;
const BATCH = 25;
/** 16 KB items: 200 batches would be 80 MB, far past any kernel buffer; the policies act long before. */
const MAX_BATCHES = 200;
const PAD = 'x'.repeat(16 * 1024);
const KEYS = 4;

interface Item {
  readonly n: number;
  readonly key: string;
  readonly pad: string;
}

const slow = (policy: SlowConsumerPolicy) => ({ policy, maxQueued: MAX_QUEUED, highWaterMark: 64 * 1024 });

const RECOVERY: RecoveryOptions = {
  groups: [
    { match: 'disconnect:*', slowConsumer: slow({ action: 'disconnect' }) },
    { match: 'drop:*', slowConsumer: slow({ action: 'drop-oldest' }) },
    { match: 'latest:*', slowConsumer: slow({ action: 'keep-latest', key: (_target, args) => (args[0] as Item).key }) },
  ],
};

async function startServer(): Promise<TestServer> {
  // No send timeout: only the group's policy acts on the stuck client.
  const server = await startTestServer((hw) => hw.mapHub('/hub', FeedHub, { protocols: [jsonHubProtocol], recovery: RECOVERY }), { transportSendTimeout: 0 });
  scope.defer(() => within(server.close(), 5000, 'server close'));
  return server;
}

/** A raw WebSocket client that joins `group` and then stops reading. */
async function stuckMember(server: TestServer, group: string): Promise<TcpWebSocket> {
  const socket = await TcpWebSocket.handshaken(server.port, '/hub');
  scope.defer(async () => socket.destroy());
  socket.write(maskedTextFrame(JSON.stringify({ type: 1, invocationId: '1', target: 'join', arguments: [group] }) + RS));
  const completion = JSON.parse(await socket.nextNonPing()) as { type: number; invocationId: string; error?: string };
  assert.deepEqual(completion, { type: 3, invocationId: '1' });
  socket.socket.pause();
  return socket;
}

function counters(server: TestServer): CounterMetrics {
  return server.hubwire.metrics as CounterMetrics;
}

/**
 * Publishes numbered items to `group` in batches, letting I/O run between sends, and after each
 * batch waits (bounded) for the reader to have it all — the reader is never held up by the
 * stuck member. Goes on until `acted()` holds, then for `extra` more batches. Returns the count.
 */
async function publishUntil(server: TestServer, reader: FeedClientHandle, group: string, acted: () => boolean, extra = 3): Promise<number> {
  const clients = server.hubwire.hubContext(FeedHub).clients;
  let sent = 0;
  let after = -1;
  for (let batch = 0; batch < MAX_BATCHES && after < extra; batch++) {
    for (let i = 0; i < BATCH; i++) {
      sent++;
      await clients.group(group).news({ n: sent, key: `k${sent % KEYS}`, pad: PAD } satisfies Item);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => reader.items().length === sent, 5000, `the reader to get ${sent} (has ${reader.items().length})`);
    if (after >= 0 || acted()) after++;
  }
  assert.ok(acted(), `the policy acted within ${MAX_BATCHES * BATCH} messages`);
  assert.deepEqual(reader.items().map((item) => (item as Item).n), range(1, sent), 'the reader got every message, in order');
  return sent;
}

/** What the stuck client reads once it reads again: its group messages, and the Close if one came. */
async function readAll(socket: TcpWebSocket, until: (items: readonly { item: Item; position: GroupPosition }[]) => boolean): Promise<{ items: { item: Item; position: GroupPosition }[]; close: unknown }> {
  socket.socket.resume();
  const items: { item: Item; position: GroupPosition }[] = [];
  for (;;) {
    const message = JSON.parse(await socket.nextNonPing(10_000)) as { type: number; target?: string; arguments?: unknown[] };
    if (message.type === 7) return { items, close: message };
    if (message.type === 1 && message.target === 'news') {
      items.push({ item: message.arguments![0] as Item, position: message.arguments![1] as GroupPosition });
      if (until(items)) return { items, close: undefined };
    }
  }
}

function assertIncreasing(offsets: readonly number[]): void {
  for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i]! > offsets[i - 1]!, `offset ${offsets[i]} after ${offsets[i - 1]}`);
}

describe('slow members of recoverable groups', () => {
  it('disconnect: closes the stuck member with allowReconnect; it recovers the rest on a new connection', async () => {
    const server = await startServer();
    const group = 'disconnect:a';
    const reader = await startFeedClient(scope, server);
    await reader.invoke('join', group);
    const stuck = await stuckMember(server, group);
    // One batch after the close: the server drops a closing socket that never answers after 5 s.
    const sent = await publishUntil(server, reader, group, () => server.hubwire.connectionCount('/hub') === 1, 1);
    assert.equal(counters(server).totals().slowConsumerDisconnects, 1, 'counted once as a slow-consumer disconnect');

    const { items, close } = await readAll(stuck, () => false);
    assert.deepEqual(close, { type: 7, error: 'Connection closed with an error.', allowReconnect: true });
    // What was written before the close is gap-free: nothing was dropped, the rest stayed in the history.
    assert.ok(items.length > 0 && items.length < sent, `the stuck member read ${items.length} of ${sent}`);
    assert.deepEqual(items.map(({ item }) => item.n), range(1, items.length));
    const last = items.at(-1)!.position;

    const back = await startFeedClient(scope, server);
    const result = await back.invoke<RecoveryResult>('follow', group, { offset: last.offset, epoch: last.epoch });
    assert.equal(result.recovered, true);
    assert.equal(result.replayed, sent - last.offset);
    await until(() => back.items().length === result.replayed, 10_000, 'the replay');
    assert.deepEqual(back.items().map((item) => (item as Item).n), range(last.offset + 1, result.replayed));
  });

  it('drop-oldest: keeps the stuck member connected with at most maxQueued waiting; every message is delivered or counted as dropped', async () => {
    const server = await startServer();
    const group = 'drop:a';
    const reader = await startFeedClient(scope, server);
    await reader.invoke('join', group);
    const stuck = await stuckMember(server, group);
    const sent = await publishUntil(server, reader, group, () => counters(server).totals().recoverySlowDrops > 0);
    assert.equal(server.hubwire.connectionCount('/hub'), 2, 'the stuck member is still connected');

    const { items, close } = await readAll(stuck, (got) => got.at(-1)?.item.n === sent);
    assert.equal(close, undefined);
    const dropped = counters(server).totals().recoverySlowDrops;
    assert.equal(items.length + dropped, sent, `${items.length} read + ${dropped} dropped`);
    assertIncreasing(items.map(({ position }) => position.offset));
    // The queue held the newest maxQueued: they arrive, after a jump.
    assert.deepEqual(items.slice(-MAX_QUEUED).map(({ item }) => item.n), range(sent - MAX_QUEUED + 1, MAX_QUEUED));
  });

  it('keep-latest: conflates queued messages per key, so the stuck member gets the latest of each key', async () => {
    const server = await startServer();
    const group = 'latest:a';
    const reader = await startFeedClient(scope, server);
    await reader.invoke('join', group);
    const stuck = await stuckMember(server, group);
    const sent = await publishUntil(server, reader, group, () => counters(server).totals().recoverySlowConflated > 0);
    assert.equal(server.hubwire.connectionCount('/hub'), 2, 'the stuck member is still connected');

    const { items } = await readAll(stuck, (got) => got.at(-1)?.item.n === sent);
    const { recoverySlowConflated: conflated, recoverySlowDrops: dropped } = counters(server).totals();
    assert.equal(dropped, 0, 'with a few keys, a same-key message is always waiting to be replaced');
    assert.equal(items.length + conflated, sent, `${items.length} read + ${conflated} conflated`);
    assertIncreasing(items.map(({ position }) => position.offset));
    const latest = new Map<string, number>();
    for (const { item } of items) latest.set(item.key, item.n);
    for (const n of range(sent - KEYS + 1, KEYS)) assert.equal(latest.get(`k${n % KEYS}`), n, `the latest of k${n % KEYS}`);
  });
});
