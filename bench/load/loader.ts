/**
 * The load-generator process: holds the client connections and runs the
 * client side of each scenario on the orchestrator's command.
 */
import { withTimeout } from '../lib/clock.js';
import type { LoaderCommands } from '../lib/commands.js';
import { announceReady, serveIpc } from '../lib/ipc.js';
import { DeliveryTracker, WarmupTracker } from './delivery-tracker.js';
import { EchoRunner } from './echo-runner.js';
import { SoakTracker } from './soak-tracker.js';
import { ConnectionPool } from './pool.js';

const pool = new ConnectionPool();
let warmup: WarmupTracker | undefined;
let deliveries: DeliveryTracker | undefined;
let soak: SoakTracker | undefined;
let cpuMark = process.cpuUsage();
let wallMark = performance.now();

serveIpc<LoaderCommands>({
  open: (args) => pool.open(args),
  echo: async ({ clients, durationMs, record }) => {
    const runner = new EchoRunner(pool.connections.slice(0, clients), durationMs, record);
    pool.sink = runner;
    try {
      return await runner.run(5_000);
    } finally {
      pool.sink = {};
    }
  },
  resetWarm: () => {
    warmup = new WarmupTracker(pool.connections.length);
    pool.sink = warmup;
    return null;
  },
  warmCount: () => ({ warm: warmup?.warmCount ?? 0, open: pool.openCount }),
  expectBroadcasts: ({ count }) => {
    deliveries = new DeliveryTracker(pool.connections.length, count);
    pool.sink = deliveries;
    return null;
  },
  awaitBroadcasts: async ({ timeoutMs }) => {
    const tracker = deliveries;
    if (!tracker) throw new Error('expectBroadcasts was not called');
    await withTimeout(tracker.complete, timeoutMs, 'all broadcasts delivered').catch(() => undefined);
    return tracker.result();
  },
  status: () => {
    const cpu = process.cpuUsage(cpuMark);
    const wallMs = performance.now() - wallMark;
    cpuMark = process.cpuUsage();
    wallMark = performance.now();
    return {
      open: pool.openCount,
      unexpectedCloses: pool.unexpectedCloses,
      protocolErrors: pool.problems,
      problemSamples: pool.problemSamples,
      cpu: { userUs: cpu.user, systemUs: cpu.system, wallMs },
    };
  },
  soakStart: () => {
    soak = new SoakTracker();
    pool.sink = soak;
    return null;
  },
  soakWindow: () => {
    if (!soak) throw new Error('soakStart was not called');
    return soak.take();
  },
  reconnect: (args) => pool.reconnect(args),
  closeAll: async () => {
    pool.sink = {};
    warmup = undefined;
    deliveries = undefined;
    soak = undefined;
    return { closed: await pool.closeAll(3_000) };
  },
});

announceReady({ pid: process.pid });
