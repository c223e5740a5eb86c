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
export type ServerKind = 'hubwire' | 'ws' | 'socketio' | 'uws' | 'hubwire+uws' | 'hubwire+msgpack' | 'hubwire+metrics';

/**
 * The servers a run compares by default (and the ones a full run must have to rewrite the main
 * tables). `uws` is uWebSockets.js, the native anchor; `hubwire+uws` is Hubwire served on a
 * uWebSockets.js app (`attachUws`) instead of `node:http` + ws; `hubwire+msgpack` is the same Hubwire
 * server driven by clients of the MessagePack hub protocol (a process of its own, so its CPU is
 * its own), compared with JSON.
 */
export const SERVER_KINDS: readonly ServerKind[] = ['hubwire', 'ws', 'socketio', 'uws', 'hubwire+uws', 'hubwire+msgpack'];

/** Every server `--servers` accepts. */
export const ALL_SERVER_KINDS: readonly ServerKind[] = [...SERVER_KINDS, 'hubwire+metrics'];

/** The same server code as another kind, only its clients differ: left out of idle-memory and growth runs. */
export const CLIENT_VARIANTS: readonly ServerKind[] = ['hubwire+msgpack'];

export const SERVER_LABELS: Record<ServerKind, string> = {
  hubwire: 'Hubwire',
  ws: 'raw ws',
  socketio: 'Socket.IO 4',
  uws: 'uWebSockets.js',
  'hubwire+uws': 'Hubwire on uWS',
  'hubwire+msgpack': 'Hubwire MessagePack',
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

/** The soak's traffic: a send to group `g<i % groups>` every `intervalMs` for `durationMs`. */
export interface GroupTrafficArgs {
  groups: number;
  intervalMs: number;
  durationMs: number;
  payloadBytes: number;
}

export type ServerCommands = {
  broadcast: { args: BroadcastArgs; result: BroadcastResult };
  groupTraffic: { args: GroupTrafficArgs; result: BroadcastResult };
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
  /**
   * Connect the way a real client does before its socket: Hubwire's negotiate POST, one plain
   * HTTP GET for ws and uWS (the "upgrade + a negotiate request"); Socket.IO unchanged.
   */
  viaHttp?: boolean;
  /** After the handshake, each connection joins group `g<index % groups>` (Hubwire only; the soak). */
  groups?: number;
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
  /** The soak: count every delivery from now on, with its latency; `soakWindow` returns the window's figures and starts a new one. */
  soakStart: { args: null; result: null };
  soakWindow: { args: null; result: SoakWindow };
  /** Close `count` random open connections and open as many new ones in their place (same group). */
  reconnect: { args: OpenArgs; result: { closed: number; opened: number; failed: number; failureSamples: string[] } };
};

export interface SoakWindow {
  delivered: number;
  latency: LatencySummary;
  /** Since soakStart. */
  total: { delivered: number; latency: LatencySummary };
}
