/**
 * Shared by the recoverable-group end-to-end tests: the hub, its recovery specs, an official
 * client that logs what it receives with the trailing positions, and the checks of a recovered
 * stream (every offset once, in order, no gap).
 * @module
 */
import assert from 'node:assert/strict';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { Hub, type GroupPosition, type HubServer, type RecoveryOptions, type RecoveryResult } from 'hubwire';
import type { E2eScope } from '../support/redis-e2e.js';
import { clientFor, type signalR } from '../support/signalr-client.js';
import type { TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';

interface FeedClient {
  news(item: unknown): void;
  snapshot(state: { group: string; offset: number }): void;
}

/** Where a client says it stood, as it sends it (JSON null when it has no position yet). */
export type Since = { offset: number; epoch?: string } | null;

/**
 * `feed:*` keeps the default window; `small:*` only five entries (to reach the snapshot path);
 * `bare:*` sends no position argument.
 */
export const RECOVERY: RecoveryOptions = {
  groups: [{ match: 'feed:*' }, { match: 'small:*', maxCount: 5 }, { match: 'bare:*', positionArgument: false }],
};

/** A hub whose `follow` is a recovering join whose snapshot hook sends `snapshot` to the caller. */
export class FeedHub extends Hub<FeedClient> {
  async join(group: string): Promise<void> {
    await this.groups.add(this.context.connectionId, group);
  }
  async follow(group: string, since: Since): Promise<RecoveryResult> {
    return this.groups.recover(this.context.connectionId, group, {
      since: since ?? undefined,
      onMissed: async (missed) => {
        await this.clients.caller.snapshot({ group, offset: missed.position.offset });
      },
    });
  }
  async post(group: string, item: unknown): Promise<void> {
    await this.clients.group(group).news(item);
  }
  async postToGroups(groups: string[], item: unknown): Promise<void> {
    await this.clients.groups(groups).news(item);
  }
}

/** One message a client received: a group message with its trailing arguments, or a snapshot. */
export type Received =
  | { readonly kind: 'news'; readonly item: unknown; readonly extra: readonly unknown[] }
  | { readonly kind: 'snapshot'; readonly state: { group: string; offset: number } };

/** An official client on /hub with a log of `news` (all its arguments) and `snapshot`. */
export interface FeedClientHandle {
  readonly connection: signalR.HubConnection;
  readonly log: Received[];
  invoke<T = unknown>(method: string, ...args: unknown[]): Promise<T>;
  /** The `news` items received, in order. */
  items(): unknown[];
  /** The positions of the `news` received, in order (a message without one fails). */
  positions(): GroupPosition[];
}

/** Starts an official client (WebSockets) on /hub, stopped by the scope. */
export async function startFeedClient(scope: E2eScope, server: TestServer, options: { messagepack?: boolean } = {}): Promise<FeedClientHandle> {
  const builder = clientFor(server.url('/hub'), { skipNegotiation: true, transport: 1 });
  if (options.messagepack) builder.withHubProtocol(new MessagePackHubProtocol());
  const connection = builder.build();
  const log: Received[] = [];
  connection.on('news', (item: unknown, ...extra: unknown[]) => log.push({ kind: 'news', item, extra }));
  connection.on('snapshot', (state: { group: string; offset: number }) => log.push({ kind: 'snapshot', state }));
  await within(connection.start(), 5000, 'client start');
  scope.open.add(connection);
  const news = () => log.filter((entry): entry is Extract<Received, { kind: 'news' }> => entry.kind === 'news');
  return {
    connection,
    log,
    invoke: <T>(method: string, ...args: unknown[]) => within(connection.invoke(method, ...args), 5000, method) as Promise<T>,
    items: () => news().map((entry) => entry.item),
    positions: () =>
      news().map((entry) => {
        assert.equal(entry.extra.length, 1, `one trailing argument with ${JSON.stringify(entry.item)}`);
        return entry.extra[0] as GroupPosition;
      }),
  };
}

/**
 * Sends `items` to `group` one after the other through the hub context (as a background service
 * would), letting I/O run between two sends so that they interleave with a client's invocations.
 */
export async function publishEach(hubwire: HubServer, group: string, items: readonly unknown[]): Promise<void> {
  const clients = hubwire.hubContext(FeedHub).clients;
  for (const item of items) {
    await clients.group(group).news(item);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Waits until `client` has received the group's current top. */
export async function untilAtTop(hubwire: HubServer, client: FeedClientHandle, group: string, ms = 10_000): Promise<GroupPosition> {
  const top = await hubwire.hubContext(FeedHub).groups.position(group);
  await until(() => client.positions().at(-1)?.offset === top.offset, ms, `${group} to reach offset ${top.offset} (at ${client.positions().at(-1)?.offset})`);
  return { group, ...top };
}

/** Every position is `group`'s, in `epoch`, offsets `from`, `from + 1`, … with no gap or repeat. */
export function assertContiguous(positions: readonly GroupPosition[], group: string, epoch: string, from: number): void {
  const expected = positions.map((_, i) => ({ group, offset: from + i, epoch }));
  assert.deepEqual(
    positions.map((p) => ({ group: p.group, offset: p.offset, epoch: p.epoch })),
    expected,
  );
}

/** `n` consecutive numbers from `from`. */
export function range(from: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}
