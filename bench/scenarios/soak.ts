/**
 * The soak: 15,000 Hubwire connections, each in one of 150 groups, for 10 minutes of steady
 * group traffic (a send to the next group every 20 ms), with 1 % of the clients reconnecting
 * per minute (closed with a close handshake and replaced, spread over the minute). Memory is
 * sampled after `gc()` every 30 s, and latency per window; the soak stops by itself when its
 * time is up. Not in CI and not in a default run: `npm run bench -- --scenario=soak`.
 */
import { sleep } from '../lib/clock.js';
import type { BroadcastResult, MemorySample, SoakWindow } from '../lib/commands.js';
import type { BenchConfig } from '../lib/config.js';
import { clientProblems } from './measure.js';
import { withSession, type Outcome } from './session.js';

export interface SoakSample {
  /** Seconds since the traffic started. */
  atSec: number;
  memory: MemorySample;
  window: SoakWindow;
  open: number;
}

export interface SoakMetrics {
  connections: number;
  openMs: number;
  samples: SoakSample[];
  traffic: BroadcastResult;
  reconnects: { closed: number; opened: number; failed: number };
  total: SoakWindow['total'];
  /** Deliveries expected if every member received every send (reconnecting clients miss a few). */
  expectedDeliveries: number;
  problems: string[];
}

const RECONNECT_EVERY_MS = 10_000;

export function measureSoak(config: BenchConfig, progress: (line: string) => void): Promise<Outcome<SoakMetrics>> {
  const { connections, groups, minutes, intervalMs, reconnectPctPerMinute, sampleSeconds } = config.soak;
  const durationMs = minutes * 60_000;
  return withSession('hubwire', config, { exposeGc: true }, async (session) => {
    const problems: string[] = [];
    const opened = await session.open(connections, { groups });
    progress(`  soak: ${opened.open} connections open in ${(opened.elapsedMs / 1000).toFixed(1)} s`);
    await session.loader.request('soakStart', null, 5_000);
    const start = performance.now();
    const traffic = session.server.request('groupTraffic', { groups, intervalMs, durationMs, payloadBytes: config.broadcast.payloadBytes }, durationMs + 60_000);
    const samples: SoakSample[] = [];
    const reconnects = { closed: 0, opened: 0, failed: 0 };
    const perTurn = Math.max(1, Math.round((connections * reconnectPctPerMinute) / 100 / (60_000 / RECONNECT_EVERY_MS)));
    let nextSample = sampleSeconds * 1000;
    let nextReconnect = RECONNECT_EVERY_MS;
    let done = false;
    void traffic.finally(() => (done = true)).catch(() => undefined);
    while (!done && performance.now() - start < durationMs + 30_000) {
      const elapsed = performance.now() - start;
      if (elapsed >= nextReconnect) {
        nextReconnect += RECONNECT_EVERY_MS;
        const args = { kind: session.kind, port: session.info.port, count: perTurn, batchSize: perTurn, connectTimeoutMs: config.connectTimeoutMs, groups };
        const result = await session.loader.request('reconnect', args, config.connectTimeoutMs + 10_000);
        reconnects.closed += result.closed;
        reconnects.opened += result.opened;
        reconnects.failed += result.failed;
        if (result.failed > 0) problems.push(`reconnect: ${result.failed} failed, e.g. ${result.failureSamples.join(' | ')}`);
      }
      if (elapsed >= nextSample) {
        nextSample += sampleSeconds * 1000;
        const memory = await session.server.request('memory', { samples: 1 }, 30_000);
        const window = await session.loader.request('soakWindow', null, 10_000);
        const { open } = await session.loader.request('warmCount', null, 5_000);
        samples.push({ atSec: Math.round(elapsed / 1000), memory, window, open });
        progress(
          `  soak ${Math.round(elapsed / 1000)} s: RSS ${(memory.rss / 2 ** 20).toFixed(0)} MB, heap ${(memory.heapUsed / 2 ** 20).toFixed(0)} MB, ` +
            `${window.delivered} deliveries, p99 ${window.latency.p99.toFixed(1)} ms, ${open} open`,
        );
      }
      await sleep(250);
    }
    const sent = await traffic;
    await sleep(2_000);
    const last = await session.loader.request('soakWindow', null, 10_000);
    problems.push(...clientProblems(await session.status()));
    if (sent.sendErrors.length > 0) problems.push(`server send errors: ${sent.sendErrors.join(' | ')}`);
    await session.closeAll();
    return {
      connections: opened.open,
      openMs: opened.elapsedMs,
      samples,
      traffic: sent,
      reconnects,
      total: last.total,
      expectedDeliveries: sent.sent * (connections / groups),
      problems,
    };
  });
}
