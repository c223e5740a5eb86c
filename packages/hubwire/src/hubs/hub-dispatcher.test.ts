import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../core/logger.js';
import { createCounterMetrics } from '../core/metrics.js';
import { MessageType, type HubMessage } from '../protocol/messages.js';
import { disabledPresence } from '../lifetime/presence.js';
import type { HubCallerClients } from './hub-clients.js';
import type { HubCallerContext } from './hub-caller-context.js';
import { HubDispatcher, type DispatchTarget, type HubDispatcherInit } from './hub-dispatcher.js';
import { Hub } from './hub.js';
import { buildMethodTable } from './method-table.js';
import type { StreamCancellation } from './stream-cancellation.js';

let produced = 0;

class StreamingHub extends Hub {
  async *numbers(count: number) {
    for (let i = 0; i < count; i++) {
      produced++;
      yield i;
    }
  }
}

/** A connection whose outbound backlog the test opens and closes by hand. */
class FakeTarget implements Pick<DispatchTarget, 'write' | 'whenWritable' | 'activeStreams'> {
  readonly written: HubMessage[] = [];
  readonly activeStreams = new Map<string, StreamCancellation>();
  blocked: { promise: Promise<void>; release: () => void } | undefined;
  asked = 0;

  block(): void {
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.blocked = { promise, release };
  }

  write(message: HubMessage): void {
    this.written.push(message);
  }

  whenWritable(): Promise<void> | undefined {
    this.asked++;
    return this.blocked?.promise;
  }
}

const notUsed = (): Promise<never> => Promise.reject(new Error('dispatcher tests use no recoverable groups'));

/** A dispatcher over StreamingHub with no filters, hooks or requirements unless `overrides` say so. */
function dispatcherFor(overrides: Partial<HubDispatcherInit> = {}): HubDispatcher {
  return new HubDispatcher({
    hubPath: '/h',
    methods: buildMethodTable(StreamingHub),
    createHub: () => new StreamingHub(),
    hooks: { onConnected: false, onDisconnected: false },
    groups: { add: async () => undefined, remove: async () => undefined, recover: notUsed, publish: notUsed, position: notUsed },
    presence: disabledPresence('Dispatcher tests ask no presence questions.'),
    filters: [],
    methodAuthorization: new Map(),
    detailedErrors: false,
    logger: silentLogger,
    metrics: createCounterMetrics(),
    labels: {},
    ...overrides,
  });
}

test('a server stream stops pulling its producer while the connection is backed up', async () => {
  produced = 0;
  const dispatcher = dispatcherFor();
  const fake = new FakeTarget();
  const aborted = new AbortController();
  const target = Object.assign(fake, {
    connectionId: 'c1',
    context: { connectionId: 'c1', connectionAborted: aborted.signal } as unknown as HubCallerContext,
    callerClients: {} as HubCallerClients<unknown>,
    connectingClients: {} as HubCallerClients<unknown>,
    callerClientsReleasing: () => ({}) as HubCallerClients<unknown>,
    openUploads: () => [],
    closeUploads: () => undefined,
  }) satisfies DispatchTarget;

  fake.block();
  const running = dispatcher.invoke(target, { type: MessageType.StreamInvocation, invocationId: 's', target: 'Numbers', arguments: [5] });
  // Let every pending microtask run: the stream must be parked on the backlog, not producing.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(produced, 0, 'nothing produced while blocked');
  assert.ok(fake.asked >= 1);
  fake.blocked!.release();
  fake.blocked = undefined;
  await running;
  assert.equal(produced, 5);
  const items = fake.written.filter((m) => m.type === MessageType.StreamItem).map((m) => (m as { item: number }).item);
  assert.deepEqual(items, [0, 1, 2, 3, 4]);
  assert.equal(fake.written.at(-1)?.type, MessageType.Completion);
});

test('a connect creates the hub once even with no hook to run; a disconnect with none creates nothing', async () => {
  let created = 0;
  const make = (hooks: { onConnected: boolean; onDisconnected: boolean }, filters: HubDispatcherInit['filters'] = []) =>
    dispatcherFor({
      createHub: () => {
        created++;
        return new StreamingHub();
      },
      hooks,
      filters,
    });
  const target = { connectionId: 'c', context: {}, callerClients: {}, connectingClients: {} } as unknown as DispatchTarget;
  await make({ onConnected: false, onDisconnected: false }).onConnected(target);
  assert.equal(created, 1);
  await make({ onConnected: false, onDisconnected: false }).onDisconnected(target, undefined);
  assert.equal(created, 1);
  await make({ onConnected: true, onDisconnected: false }).onConnected(target);
  await make({ onConnected: false, onDisconnected: false }, [{ onDisconnected: (ctx, error, next) => next(ctx, error) }]).onDisconnected(target, undefined);
  assert.equal(created, 3);
});

test('a hub that cannot be created fails the connect even with no hook to run', async () => {
  const dispatcher = dispatcherFor({
    createHub: () => {
      throw new Error('no database');
    },
  });
  const target = { connectionId: 'c', context: {}, callerClients: {}, connectingClients: {} } as unknown as DispatchTarget;
  await assert.rejects(dispatcher.onConnected(target), /no database/);
});
