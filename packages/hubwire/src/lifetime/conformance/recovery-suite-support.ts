/**
 * What the recovery conformance suite's files share: the harness types, the node helper, the
 * specs the cases use, and small readers of what a FakeConnection got.
 * @module
 */
import assert from 'node:assert/strict';
import { HubwireError } from '../../core/errors.js';
import { createCounterMetrics, type CounterMetrics } from '../../core/metrics.js';
import type { HubProtocol } from '../../protocol/hub-protocol.js';
import { MessageType, type InvocationMessage } from '../../protocol/messages.js';
import type { HubLifetimeManager } from '../hub-lifetime-manager.js';
import type { GroupPosition, GroupRecovery, RecoveryOptions } from '../recovery/recovery-types.js';
import { FakeConnection } from './fake-connection.js';

/** One node of the system under test. */
export interface RecoveryTestNode {
  readonly manager: HubLifetimeManager;
  readonly metrics: CounterMetrics;
  /** A {@link FakeConnection} on this node (JSON unless `protocol` says otherwise), connected. */
  connect(id: string, protocol?: HubProtocol): Promise<FakeConnection>;
  close(): Promise<void>;
}

/** How the suite makes nodes of one implementation. */
export interface RecoveryHarness {
  readonly name: string;
  /** How many nodes one system can have: 1 for the memory manager; the cross-node cases need 2. */
  readonly maxNodes: number;
  /**
   * Makes `count` nodes of one new system (sharing one history), each built with `recovery`, the
   * hub protocols JSON and MessagePack, and its own counting metrics (see {@link recoveryTestNode}).
   * Each system must be isolated from the others (a key prefix of its own for Redis).
   */
  createNodes(count: number, recovery: RecoveryOptions): Promise<RecoveryTestNode[]>;
}

/**
 * A {@link RecoveryTestNode} over a manager: `connect` makes a FakeConnection and calls
 * `onConnected`; `close` calls `manager.close()` and then `extra`.
 *
 * @example
 * ```ts
 * createNodes: async (count, recovery) => {
 *   const metrics = createCounterMetrics();
 *   return [recoveryTestNode(new MemoryLifetimeManager({ recovery, metrics }), metrics)];
 * },
 * ```
 */
export function recoveryTestNode(manager: HubLifetimeManager, metrics: CounterMetrics = createCounterMetrics(), extra?: () => Promise<void>): RecoveryTestNode {
  return {
    manager,
    metrics,
    async connect(id, protocol) {
      const connection = new FakeConnection(id, undefined, protocol);
      await manager.onConnected(connection);
      return connection;
    },
    async close() {
      await manager.close?.();
      await extra?.();
    },
  };
}

/** The specs the cases use (one system per test, so each case has its groups to itself). */
export const recoverySuiteOptions: RecoveryOptions = {
  groups: [
    { match: 'short:*', maxCount: 5 },
    { match: 'plain:*', positionArgument: false },
    { match: 'aged:*', maxAge: 150 },
    { match: /^slow-drop:/, slowConsumer: { policy: { action: 'drop-oldest' }, highWaterMark: 100, maxQueued: 3 } },
    {
      match: (group) => group.startsWith('slow-latest:'),
      slowConsumer: { policy: { action: 'keep-latest', key: (_target, args) => String(args[0]) }, highWaterMark: 100, maxQueued: 3 },
    },
    { match: 'slow-close:*', slowConsumer: { policy: { action: 'disconnect' }, highWaterMark: 100, maxQueued: 3 } },
    { match: 'feed:*' },
  ],
};

/** What the case files are given by `recoverySuite`. */
export interface SuiteContext {
  /** Makes `count` nodes of a new system (closed after the test). */
  nodes(count: number, recovery?: RecoveryOptions): Promise<RecoveryTestNode[]>;
  /** Connects `id` on `node` and adds it to `group` with a plain addToGroup. */
  member(node: RecoveryTestNode, id: string, group: string, protocol?: HubProtocol): Promise<FakeConnection>;
  /** `manager.send` to exactly `group`: a recorded send. */
  send(node: RecoveryTestNode, group: string, target: string, ...args: unknown[]): Promise<void>;
}

export const invocation = (target: string, ...args: unknown[]): InvocationMessage => ({ type: MessageType.Invocation, target, arguments: args });

/** The position argument of each message with `target` the connection got (undefined where it had none). */
export function positions(connection: FakeConnection, target = 'm'): GroupPosition[] {
  return connection.invocations.filter((message) => message.target === target).map((message) => message.arguments.at(-1) as GroupPosition);
}

export function offsets(connection: FakeConnection, target = 'm'): number[] {
  return positions(connection, target).map((position) => position.offset);
}

/** The first argument of each message with `target` (the cases number their messages with it). */
export function firsts(connection: FakeConnection, target = 'm'): unknown[] {
  return connection.invocations.filter((message) => message.target === target).map((message) => message.arguments[0]);
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

export function recoveryOf(node: RecoveryTestNode): GroupRecovery {
  const { recovery } = node.manager;
  assert.ok(recovery !== undefined, 'the manager offers recovery when the hub declares recoverable groups');
  return recovery;
}

export async function isRecoveryError(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof HubwireError && error.code === code);
}
