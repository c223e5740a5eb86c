/**
 * Floods of invocations, upload items and client-result calls from raw clients. Each attacker
 * sends far more than the server can dispatch (parallelism 1, slow methods): what waits must stay
 * bytes or be pushed back on the client, so memory stays bounded, the process stays up and a
 * canary keeps its latency. Every flood is bounded in size and ends when its sockets close.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { eventually, mb, percentile, rawHubSocket, startAbuseServer, startCanary, type AbuseServer, type Canary } from './support/harness.js';

const RS = '\u001e';
const ATTACKERS = 50;

/** One WebSocket frame of `count` invocations of `target`. */
function invocationFrame(target: string, args: (i: number) => unknown[], count: number, blocking = true): string {
  let frame = '';
  for (let i = 0; i < count; i++) frame += JSON.stringify(blocking ? { type: 1, invocationId: String(i), target, arguments: args(i) } : { type: 1, target, arguments: args(i) }) + RS;
  return frame;
}

async function closeAll(sockets: WebSocket[]): Promise<void> {
  for (const socket of sockets) socket.terminate();
}

describe('invocation floods', () => {
  let server: AbuseServer;
  let canary: Canary;
  before(async () => {
    server = await startAbuseServer({ heartbeatInterval: 200 });
    canary = await startCanary(server.hubUrl);
    await canary.roundTrips(20);
  });
  after(async () => {
    await canary?.stop();
    await server?.stop();
  });

  it('1 MB frames of tiny invocations of a slow method stay bytes: no parsed backlog per connection', async () => {
    const baseline = await server.memory();
    const sockets = await Promise.all(Array.from({ length: ATTACKERS }, () => rawHubSocket(server.port)));
    // Fire-and-forget: 46 bytes each, 21,000 in one frame under the 1 MiB frame limit.
    const frame = invocationFrame('delay', () => [1000], 21_000, false);
    assert.ok(frame.length < 1024 * 1024, `frame of ${frame.length} bytes`);
    for (const socket of sockets) socket.send(frame);
    // A frame is handed over whole, so once each connection has parsed its first batch its whole
    // frame is in the server. (A ping would not do: reading is paused, which is the point.)
    let parsed = 0;
    await eventually(
      async () => (parsed = (await server.stats()).counters['messagesReceived']!) >= ATTACKERS * 32,
      20_000,
      () => `only ${parsed} messages parsed`,
    );
    const loaded = await server.memory();
    const latencies = await canary.roundTrips(40);
    // The old pipeline parsed each frame whole: about 2.85 MB of objects per connection.
    const heapGrowth = loaded.heapUsed - baseline.heapUsed;
    assert.ok(heapGrowth < ATTACKERS * 256 * 1024, `heap grew ${mb(heapGrowth)} for ${ATTACKERS} connections`);
    assert.ok(percentile(latencies, 0.5) < 200 && percentile(latencies, 0.9) < 1000, `canary p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p90 ${percentile(latencies, 0.9).toFixed(1)} ms`);
    await closeAll(sockets);
    let connections = Number.POSITIVE_INFINITY;
    await eventually(async () => (connections = (await server.stats()).connections) <= 1, 10_000, () => `${connections} still connected`);
    const released = await server.memory();
    assert.ok(released.arrayBuffers - baseline.arrayBuffers < 8 * 1048576, `buffers not released: ${mb(released.arrayBuffers - baseline.arrayBuffers)} over the baseline`);
    assert.ok(server.alive, 'the server is alive');
  });

  it('upload streams flooded with items are pushed back on, not buffered', async () => {
    const baseline = await server.memory();
    const sockets = await Promise.all(Array.from({ length: ATTACKERS }, () => rawHubSocket(server.port)));
    const start = JSON.stringify({ type: 1, invocationId: 'u', target: 'consume', arguments: [1000], streamIds: ['s'] }) + RS;
    // Two frames of 10,000 whole items each (about 350 KB a frame, under the 1 MiB frame limit).
    const frames = [0, 1].map((part) => {
      let frame = '';
      for (let i = part * 10_000; i < (part + 1) * 10_000; i++) frame += JSON.stringify({ type: 2, invocationId: 's', item: i }) + RS;
      return frame;
    });
    for (const socket of sockets) {
      socket.send(start);
      for (const frame of frames) socket.send(frame);
    }
    let parsed = 0;
    await eventually(
      async () => (parsed = (await server.stats()).counters['messagesReceived']!) >= ATTACKERS * 10,
      20_000,
      () => `only ${parsed} messages parsed`,
    );
    const latencies = await canary.roundTrips(40);
    const loaded = await server.memory();
    const heapGrowth = loaded.heapUsed - baseline.heapUsed;
    assert.ok(heapGrowth < ATTACKERS * 256 * 1024, `heap grew ${mb(heapGrowth)} for ${ATTACKERS} upload floods`);
    assert.ok(percentile(latencies, 0.5) < 200 && percentile(latencies, 0.9) < 1000, `canary p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p90 ${percentile(latencies, 0.9).toFixed(1)} ms`);
    const { counters } = await server.stats();
    assert.equal(counters['protocolErrors'], 0, 'the floods are well-formed: what is measured is back-pressure');
    await closeAll(sockets);
    assert.ok(server.alive);
  });

  it('client-result calls nobody answers cost a bounded amount each and go away with their connection', async () => {
    const baseline = await server.memory();
    const sockets = await Promise.all(Array.from({ length: 20 }, () => rawHubSocket(server.port)));
    const frame = invocationFrame('ask', () => [], 2000);
    for (const socket of sockets) socket.send(frame);
    let pending = 0;
    await eventually(
      async () => (pending = (await server.stats()).counters['invocations']!) >= 20 * 2000,
      20_000,
      () => `${pending} of ${20 * 2000} asks dispatched`,
    );
    const loaded = await server.memory();
    const latencies = await canary.roundTrips(40);
    const perCall = (loaded.heapUsed - baseline.heapUsed) / (20 * 2000);
    // Bounded per call (the count is bounded by rateLimits and clientResultTimeout; see docs/security.md).
    assert.ok(perCall < 8192, `each unanswered client-result call holds ${perCall.toFixed(0)} bytes`);
    assert.ok(percentile(latencies, 0.5) < 200 && percentile(latencies, 0.9) < 1000, `canary p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p90 ${percentile(latencies, 0.9).toFixed(1)} ms`);
    await closeAll(sockets);
    let connections = Number.POSITIVE_INFINITY;
    await eventually(async () => (connections = (await server.stats()).connections) <= 1, 10_000, () => `${connections} still connected`);
    const released = await server.memory();
    assert.ok(released.heapUsed - baseline.heapUsed < 8 * 1048576, `heap not released: ${mb(released.heapUsed - baseline.heapUsed)} over the baseline`);
  });
});
