/**
 * What one node tells the operator console about itself: per hub, its connections split by
 * transport and protocol, and the running totals of the counters the console charts (messages,
 * invocations, slow-consumer actions, errors). Everything is read from the app's metric cells,
 * which Hubwire already keeps per label set, so a read costs one pass over a few counters'
 * series and nothing on the hot path.
 *
 * The transport/protocol split is `connectionsOpened - connectionsClosed` per label set: both
 * count connections past their handshake, so the split sums to this node's live hub connections.
 * @module
 */
import { TransportAttribute, type HubServer } from 'hubwire';
import type { MetricCells } from '../../observability/cells.js';

/** The transport names the console shows (the `transport` label of Hubwire's counters). */
export const TRANSPORT_NAMES = Object.values(TransportAttribute);
/** A transport name: `web_sockets`, `server_sent_events` or `long_polling`. */
export type TransportName = (typeof TRANSPORT_NAMES)[number];
/** The protocols every hub of the app speaks, listed even at 0. */
export const PROTOCOL_NAMES: readonly string[] = ['json', 'messagepack'];

/** Slow-consumer actions: connections dropped, and messages a recoverable group dropped or merged for a slow member. */
export interface SlowConsumerCounts {
  /** `slowConsumerDisconnects`: outbound buffer overflowed, or a recoverable group's queue did. */
  readonly disconnects: number;
  /** `sendTimeouts`: a send stayed unfinished for `transportSendTimeout`. */
  readonly sendTimeouts: number;
  /** `recoverySlowDrops`. */
  readonly drops: number;
  /** `recoverySlowConflated`. */
  readonly conflated: number;
}

/** Errors, by where they happened. */
export interface ErrorCounts {
  /** `invocationErrors`: hub method calls that ended with an error completion. */
  readonly invocations: number;
  /** `protocolErrors`: connections closed for malformed or oversized input. */
  readonly protocol: number;
  /** `handshakeFailures`. */
  readonly handshakes: number;
  /** `clientTimeouts`: connections closed because the client went silent. */
  readonly clientTimeouts: number;
  /** `backplanePublishFailures`. */
  readonly backplane: number;
  /** `presenceWriteFailures`. */
  readonly presence: number;
}

/** One hub on one node. Counters are running totals since the node started. */
export interface HubFigures {
  readonly path: string;
  /** Live connections of the hub on the node. */
  readonly connections: number;
  readonly byTransport: Readonly<Record<TransportName, number>>;
  readonly byProtocol: Readonly<Record<string, number>>;
  /** Hub messages parsed from clients (pings included). */
  readonly messagesReceived: number;
  /** Hub messages queued to clients (one per recipient). */
  readonly messagesSent: number;
  readonly invocations: number;
  readonly slowConsumer: SlowConsumerCounts;
  readonly errors: ErrorCounts;
}

/** What each node writes to the operator's node registry. */
export interface OperatorNodeFigures {
  /** When the figures were taken (epoch ms, the app's clock). */
  readonly takenAt: number;
  readonly hubs: readonly HubFigures[];
}

/** The counters read per hub, by the field they fill. */
const SLOW_CONSUMER = { disconnects: 'slowConsumerDisconnects', sendTimeouts: 'sendTimeouts', drops: 'recoverySlowDrops', conflated: 'recoverySlowConflated' } as const;
const ERRORS = {
  invocations: 'invocationErrors',
  protocol: 'protocolErrors',
  handshakes: 'handshakeFailures',
  clientTimeouts: 'clientTimeouts',
  backplane: 'backplanePublishFailures',
  presence: 'presenceWriteFailures',
} as const;
const TRAFFIC = { messagesReceived: 'messagesReceived', messagesSent: 'messagesSent', invocations: 'invocations' } as const;

/** A zero for every transport. */
export function noTransports(): Record<TransportName, number> {
  return Object.fromEntries(TRANSPORT_NAMES.map((name) => [name, 0])) as Record<TransportName, number>;
}

/** A zero for every listed protocol. */
export function noProtocols(): Record<string, number> {
  return Object.fromEntries(PROTOCOL_NAMES.map((name) => [name, 0]));
}

/**
 * This node's figures for `hubPaths`. Without the app's metric cells (another metrics sink)
 * every counter and split reads 0; connection counts still come from Hubwire.
 */
export function nodeFigures(hubwire: HubServer, hubPaths: readonly string[], cells: MetricCells | undefined, now: number): OperatorNodeFigures {
  const sums = new Map<string, Map<string, number>>();
  const perHub = (key: string): Map<string, number> => {
    let found = sums.get(key);
    if (found === undefined) sums.set(key, (found = sumByHub(cells, key)));
    return found;
  };
  const split = connectionSplit(cells);
  const hubs = hubPaths.map((path): HubFigures => {
    const read = (key: string) => perHub(key).get(path) ?? 0;
    const pick = <T extends Record<string, string>>(table: T) => Object.fromEntries(Object.entries(table).map(([field, key]) => [field, read(key)])) as { [K in keyof T]: number };
    const own = split.get(path);
    return {
      path,
      connections: hubwire.connectionCount(path),
      byTransport: own?.byTransport ?? noTransports(),
      byProtocol: own?.byProtocol ?? noProtocols(),
      ...pick(TRAFFIC),
      slowConsumer: pick(SLOW_CONSUMER),
      errors: pick(ERRORS),
    };
  });
  return { takenAt: now, hubs };
}

/** The sum of counter `key` per hub label. */
function sumByHub(cells: MetricCells | undefined, key: string): Map<string, number> {
  const sums = new Map<string, number>();
  if (cells === undefined) return sums;
  for (const { labels, value } of cells.values(key)) {
    const hub = labels['hub'];
    if (hub !== undefined) sums.set(hub, (sums.get(hub) ?? 0) + value);
  }
  return sums;
}

interface Split {
  readonly byTransport: Record<TransportName, number>;
  readonly byProtocol: Record<string, number>;
}

/** Live connections per hub by transport and by protocol: opened minus closed, per label set. */
function connectionSplit(cells: MetricCells | undefined): Map<string, Split> {
  const live = new Map<string, { hub: string; transport: string; protocol: string; count: number }>();
  const add = (key: string, sign: 1 | -1) => {
    for (const { labels, value } of cells?.values(key) ?? []) {
      const { hub, transport, protocol } = labels;
      if (hub === undefined || transport === undefined || protocol === undefined) continue;
      const id = `${hub}\u0000${transport}\u0000${protocol}`;
      const entry = live.get(id) ?? { hub, transport, protocol, count: 0 };
      entry.count += sign * value;
      live.set(id, entry);
    }
  };
  add('connectionsOpened', 1);
  add('connectionsClosed', -1);
  const splits = new Map<string, Split>();
  for (const { hub, transport, protocol, count } of live.values()) {
    if (count <= 0) continue;
    let split = splits.get(hub);
    if (split === undefined) splits.set(hub, (split = { byTransport: noTransports(), byProtocol: noProtocols() }));
    // `unknown` (no transport kind) is not a transport the console lists; it still counts by protocol.
    if (transport in split.byTransport) split.byTransport[transport as TransportName] += count;
    split.byProtocol[protocol] = (split.byProtocol[protocol] ?? 0) + count;
  }
  return splits;
}
