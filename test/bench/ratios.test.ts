/**
 * The bench's figures that decide a target: round-by-round ratios with their range, the verdict
 * that treats a range spanning the target as not met, the MessagePack frame reader of the load
 * generator, and the growth plot. Pure functions: no servers are started.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fmtRatio, perRoundCost, ratioRange, targetVerdict } from '../../bench/lib/ratios.js';
import { renderGrowthSvg } from '../../bench/lib/growth-report.js';
import { soakVerdict } from '../../bench/lib/soak-report.js';
import type { GrowthStep } from '../../bench/scenarios/growth.js';
import type { SoakMetrics } from '../../bench/scenarios/soak.js';
import { messages } from '../../bench/load/signalr-msgpack-client.js';
import { frame } from '../../bench/lib/varint-frame.js';
import { ratioInterval } from '../../bench/lib/stats.js';

test('a round figure sums its slices: CPU over operations', () => {
  const cost = perRoundCost([
    { round: 0, cpuUs: 100, ops: 10 },
    { round: 0, cpuUs: 300, ops: 10 },
    { round: 1, cpuUs: 50, ops: 10 },
  ]);
  assert.equal(cost.get(0), 20);
  assert.equal(cost.get(1), 5);
});

test('ratios pair the same rounds and give median, min and max', () => {
  const a = [0, 1, 2].map((round) => ({ round, cpuUs: [12, 10, 30][round]!, ops: 1 }));
  const b = [0, 1, 2, 3].map((round) => ({ round, cpuUs: 10, ops: 1 }));
  const range = ratioRange(a, b);
  assert.deepEqual(range, { median: 1.2, min: 1, max: 3, pairs: 3 });
  assert.equal(fmtRatio(range), '1.20x [1.00–3.00]');
  assert.equal(ratioRange(a, undefined), undefined);
  assert.equal(ratioRange(a, [{ round: 9, cpuUs: 1, ops: 1 }]), undefined);
});

test('a target is met only when the whole range is at or below it', () => {
  const range = (min: number, max: number): { median: number; min: number; max: number; pairs: number } => ({ median: (min + max) / 2, min, max, pairs: 3 });
  assert.equal(targetVerdict(range(0.9, 1.3), 1.3), 'met');
  assert.equal(targetVerdict(range(1.2, 1.4), 1.3), 'spans the target: not met');
  assert.equal(targetVerdict(range(1.31, 1.5), 1.3), 'not met');
  assert.equal(targetVerdict(undefined, 1.3), 'not measured');
});

test('a ratio interval: the geometric mean with a 95 % t interval that narrows with more pairs', () => {
  // ln 1.1 and ln 0.9 around a mean of ~0.995; sd of the logs ≈ 0.1419, t(1) = 12.706.
  const two = ratioInterval([1.1, 0.9]);
  assert.ok(Math.abs(two.mean - Math.sqrt(1.1 * 0.9)) < 1e-12);
  const half = 12.706 * Math.sqrt(((Math.log(1.1) - Math.log(two.mean)) ** 2 * 2) / 1 / 2);
  assert.ok(Math.abs(Math.log(two.high) - Math.log(two.mean) - half) < 1e-9);
  const many = ratioInterval(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 1.1 : 0.9)));
  assert.ok(many.high - many.low < two.high - two.low, 'more pairs, narrower interval');
  assert.ok(many.low < 1 && many.high > 1);
  const same = ratioInterval([1.02, 1.02, 1.02]);
  assert.ok(Math.abs(same.low - 1.02) < 1e-12 && Math.abs(same.high - 1.02) < 1e-12);
  assert.ok(Number.isNaN(ratioInterval([1.1]).mean));
});

test('the growth plot has a line per server in each panel and the step ticks', () => {
  const step = (connections: number, cpu: number, kb: number): GrowthStep => ({
    connections,
    rssPerConnection: kb * 1024,
    heapPerConnection: 0,
    cpuUsPerDelivery: cpu,
    cpuRange: [cpu, cpu],
    latencyP99: 1,
    lost: 0,
    intervalMs: 10,
  });
  const svg = renderGrowthSvg(
    {
      hubwire: { ok: true, value: { steps: [step(1_000, 10, 9), step(5_000, 11, 8)], problems: [] } },
      ws: { ok: true, value: { steps: [step(1_000, 12, 7), step(5_000, 12.5, 7)], problems: [] } },
      uws: { ok: false, error: 'did not load' },
    },
    [1_000, 5_000],
  );
  assert.match(svg, /^<svg /);
  assert.equal(svg.match(/<polyline /g)?.length, 4);
  assert.match(svg, />5,000</);
  assert.match(svg, />Hubwire</);
  assert.doesNotMatch(svg, /uWebSockets/);
});

test('MessagePack frames: varint length prefixes, several messages a frame, a truncated one refused', () => {
  const small = Uint8Array.from([0x93, 1, 2, 3]);
  const large = new Uint8Array(300).fill(7);
  const framed = Buffer.concat([frame(small), frame(large)]);
  assert.deepEqual([...framed.subarray(0, 1)], [4]);
  assert.deepEqual([...framed.subarray(5, 7)], [0xac, 0x02]);
  const read = [...messages(framed)];
  assert.equal(read.length, 2);
  assert.deepEqual([...read[0]!], [...small]);
  assert.equal(read[1]!.length, 300);
  assert.throws(() => [...messages(framed.subarray(0, 20))], /truncated/);
});

test('soak memory is flat when its trend stays under 1 % of RSS per minute, and errors count', () => {
  const sample = (atSec: number, rssMb: number): SoakMetrics['samples'][number] => ({
    atSec,
    memory: { rss: rssMb * 2 ** 20, heapUsed: 100 * 2 ** 20, external: 0, arrayBuffers: 0, gcExposed: true },
    window: { delivered: 1, latency: { count: 1, p50: 1, p99: 1, max: 1, mean: 1 }, total: { delivered: 1, latency: { count: 1, p50: 1, p99: 1, max: 1, mean: 1 } } },
    open: 10,
  });
  const soak = (rss: number[], failed = 0): SoakMetrics => ({
    connections: 10,
    openMs: 1,
    samples: rss.map((mb, i) => sample(30 * (i + 1), mb)),
    traffic: { sent: 1, firstSendAt: 0, lastSendAt: 0, maxTickLagMs: 0, callMs: 0, sendErrors: [] },
    reconnects: { closed: failed, opened: 0, failed },
    total: { delivered: 1, latency: { count: 1, p50: 1, p99: 1, max: 1, mean: 1 } },
    expectedDeliveries: 1,
    problems: [],
  });
  assert.equal(soakVerdict(soak([300, 301, 299, 300])).flat, true);
  assert.equal(soakVerdict(soak([300, 310, 320, 330])).flat, false);
  assert.equal(soakVerdict(soak([300, 300], 2)).errors, 2);
});
