/**
 * Node figures added up: per hub over every node that reported it, and over every hub. The node
 * registry gives each live node's figures; this adds them, the way the admin module's
 * cluster-stats.ts adds its own.
 * @module
 */
import { noProtocols, noTransports, type ErrorCounts, type HubFigures, type SlowConsumerCounts, type TransportName } from './node-figures.js';

/** Sums of {@link HubFigures}, without the path (for totals over hubs). */
export type FigureSums = Omit<HubFigures, 'path'>;

/** A sum with nothing in it. */
export function emptySums(): FigureSums {
  return {
    connections: 0,
    byTransport: noTransports(),
    byProtocol: noProtocols(),
    messagesReceived: 0,
    messagesSent: 0,
    invocations: 0,
    slowConsumer: { disconnects: 0, sendTimeouts: 0, drops: 0, conflated: 0 },
    errors: { invocations: 0, protocol: 0, handshakes: 0, clientTimeouts: 0, backplane: 0, presence: 0 },
  };
}

/** `a + b`, field by field. */
export function addFigures(a: FigureSums, b: FigureSums): FigureSums {
  const byProtocol: Record<string, number> = { ...a.byProtocol };
  for (const [name, count] of Object.entries(b.byProtocol)) byProtocol[name] = (byProtocol[name] ?? 0) + count;
  const byTransport = { ...a.byTransport };
  for (const name of Object.keys(byTransport) as TransportName[]) byTransport[name] += b.byTransport[name] ?? 0;
  return {
    connections: a.connections + b.connections,
    byTransport,
    byProtocol,
    messagesReceived: a.messagesReceived + b.messagesReceived,
    messagesSent: a.messagesSent + b.messagesSent,
    invocations: a.invocations + b.invocations,
    slowConsumer: addCounts(a.slowConsumer, b.slowConsumer),
    errors: addCounts(a.errors, b.errors),
  };
}

/** Per hub path, the sum over `nodes` (each a list of its hubs' figures). */
export function sumByPath(nodes: readonly (readonly HubFigures[])[]): Map<string, FigureSums> {
  const sums = new Map<string, FigureSums>();
  for (const hubs of nodes) for (const { path, ...figures } of hubs) sums.set(path, addFigures(sums.get(path) ?? emptySums(), figures));
  return sums;
}

/** The total of a count table's values. */
export function total(counts: SlowConsumerCounts | ErrorCounts): number {
  return Object.values(counts).reduce((sum: number, count: number) => sum + count, 0);
}

/** `a + b` for a table of counts (both tables have the same keys). */
function addCounts<T extends SlowConsumerCounts | ErrorCounts>(a: T, b: T): T {
  const sum: Record<string, number> = { ...a };
  for (const [name, count] of Object.entries(b) as [string, number][]) sum[name] = (sum[name] ?? 0) + count;
  return sum as unknown as T;
}
