/**
 * The command sets the orchestrator sends to its children (server processes and
 * the load process), and the shapes of their answers.
 */
import type { LatencySummary } from './stats.js';

/**
 * A server under test. `hubwire+metrics` is Hubwire with the server app's metrics plugged in
 * (its metric cells and Prometheus registry, scraped as Prometheus would): measured beside plain
 * `hubwire` for the cost of metrics (`--servers=hubwire,hubwire+metrics`), never by default.
 */
export type ServerKind = 'hubwire' | 'ws' | 'socketio' | 'hubwire+metrics';

/** The servers a run compares by default (and the ones a full run must have to rewrite the main tables). */
export const SERVER_KINDS: readonly ServerKind[] = ['hubwire', 'ws', 'socketio'];

/** Every server `--servers` accepts. */
export const ALL_SERVER_KINDS: readonly ServerKind[] = [...SERVER_KINDS, 'hubwire+metrics'];

export const SERVER_LABELS: Record<ServerKind, string> = {
  hubwire: 'Hubwire',
  ws: 'raw ws',
  socketio: 'Socket.IO 4',
  'hubwire+metrics': 'Hubwire + metrics',
};

/** What a server child announces once it listens. */
export interface ServerInfo {
  port: number;
  /** Library name and version, for the report. */
  library: string;
}

/** The broadcast payload every server sends; the JSON is padded to a fixed size. */
export interface BroadcastPayload {
  /** Sequence number 0..count-1, or -1 for warm-up broadcasts. */
  seq: number;
  /** Send time, wall-clock ms (see clock.ts). */
  t: number;
  pad: string;
}

export interface BroadcastArgs {
  count: number;
  intervalMs: number;
  payloadBytes: number;
  warmup: boolean;
}

export interface BroadcastResult {
  sent: number;
  firstSendAt: number;
  lastSendAt: number;
  /** Largest delay of a paced tick behind its schedule. */
  maxTickLagMs: number;
  /** Time the server spent inside its broadcast call, summed over all broadcasts. */
  callMs: number;
  sendErrors: string[];
}

export interface CpuDelta {
  userUs: number;
  systemUs: number;
  wallMs: number;
}

export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  gcExposed: boolean;
}

export type ServerCommands = {
  broadcast: { args: BroadcastArgs; result: BroadcastResult };
  cpuBegin: { args: null; result: null };
  cpuEnd: { args: null; result: CpuDelta };
  memory: { args: { samples: number }; result: MemorySample };
  /** Connections the server knows about, or null when its API does not tell. */
  connections: { args: null; result: number | null };
  stop: { args: null; result: null };
};

export interface OpenArgs {
  kind: ServerKind;
  port: number;
  count: number;
  batchSize: number;
  connectTimeoutMs: number;
}

export interface OpenResult {
  open: number;
  failed: number;
  elapsedMs: number;
  failureSamples: string[];
}

export interface EchoArgs {
  clients: number;
  durationMs: number;
  /** Record latencies and counts (false for warm-up). */
  record: boolean;
}

export interface EchoResult {
  clients: number;
  roundTrips: number;
  elapsedMs: number;
  latency: LatencySummary;
  errors: number;
  errorSamples: string[];
}

export interface DeliveryResult {
  connections: number;
  broadcasts: number;
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  /** Connections that missed at least one broadcast. */
  incompleteConnections: number;
  firstReceiveAt: number;
  lastReceiveAt: number;
  latency: LatencySummary;
  /** All expected deliveries arrived before the timeout. */
  complete: boolean;
}

export interface LoaderStatus {
  open: number;
  unexpectedCloses: number;
  protocolErrors: number;
  problemSamples: string[];
  cpu: CpuDelta;
}

export type LoaderCommands = {
  open: { args: OpenArgs; result: OpenResult };
  echo: { args: EchoArgs; result: EchoResult };
  resetWarm: { args: null; result: null };
  warmCount: { args: null; result: { warm: number; open: number } };
  expectBroadcasts: { args: { count: number }; result: null };
  awaitBroadcasts: { args: { timeoutMs: number }; result: DeliveryResult };
  status: { args: null; result: LoaderStatus };
  closeAll: { args: null; result: { closed: number } };
};
