import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { createCounterMetrics } from '../core/metrics.js';
import { RateLimiter } from '../limits/rate-limits.js';
import { MessageType, type HubMessage, type InvocationMessage } from '../protocol/messages.js';
import { ConnectionCalls } from './connection-calls.js';
import { ConnectionInvocations, mayStart, type InvocationHost } from './connection-invocations.js';
import type { InvocationSlot } from './hub-call.js';
import type { DispatchTarget, HubDispatcher } from './hub-dispatcher.js';
import type { LimitedConnection } from './invocation-limits.js';
import { resolveHubOptions } from './hub-options.js';

type Invoke = (slot: InvocationSlot | undefined) => Promise<void> | undefined;

function setup(invoke: Invoke) {
  const written: HubMessage[] = [];
  const target = { connectionId: 'c1', userIdentifier: undefined, http: {}, write: (message: HubMessage) => written.push(message) } as unknown as DispatchTarget & LimitedConnection;
  const dispatcher = { invoke: (_target: DispatchTarget, _message: unknown, slot?: InvocationSlot) => invoke(slot) } as unknown as HubDispatcher;
  const host: InvocationHost = {
    path: '/h',
    options: resolveHubOptions(),
    logger: silentLogger,
    metrics: createCounterMetrics(),
    labels: {},
    clock: systemClock,
    rateLimiter: new RateLimiter({}),
    dispatcher,
  };
  let pumps = 0;
  const input = { pump: () => void pumps++ };
  return { written, target, host, input, pumps: () => pumps };
}

const call = (invocationId = '1', streamIds?: string[]): InvocationMessage => ({ type: MessageType.Invocation, invocationId, target: 'm', arguments: [], streamIds });

describe('ConnectionInvocations', () => {
  it('gives a slot back exactly once, however the method ends', async () => {
    const invocations = new ConnectionInvocations();
    let slot: InvocationSlot | undefined;
    let finish!: () => void;
    const { target, host, input, pumps } = setup((given) => {
      slot = given;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    invocations.start(target, call(), host, input, undefined);
    assert.equal(invocations.running, 1);
    assert.equal(mayStart(invocations, call('2'), 1), false, 'head-of-line: no free slot');
    slot!.release();
    slot!.release();
    assert.equal(invocations.running, 0, 'given back early (awaiting a client result), once');
    assert.equal(pumps(), 1);
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(invocations.running, 0);
    assert.equal(pumps(), 1, 'not given back a second time when the method ends');
  });

  it('frees the slot of a method that finished synchronously, or of a dispatcher that threw', () => {
    const invocations = new ConnectionInvocations();
    const sync = setup(() => undefined);
    invocations.start(sync.target, call(), sync.host, sync.input, undefined);
    assert.equal(invocations.running, 0);
    assert.equal(sync.pumps(), 0, 'the pump that dispatched goes on by itself');
    const throwing = setup(() => {
      throw new Error('broken dispatcher');
    });
    invocations.start(throwing.target, call(), throwing.host, throwing.input, undefined);
    assert.equal(invocations.running, 0);
  });

  it('streams and calls with uploads take no slot', () => {
    assert.equal(mayStart(undefined, call(), 1), true);
    const invocations = new ConnectionInvocations();
    const { target, host, input } = setup(() => new Promise<void>(() => undefined));
    invocations.start(target, call(), host, input, undefined);
    assert.equal(mayStart(invocations, call('2', ['s1']), 1), true);
    assert.equal(mayStart(invocations, { type: MessageType.StreamInvocation, invocationId: '3', target: 'm', arguments: [] }, 1), true);
  });

  it('drain waits for running invocations and then refuses new ones', async () => {
    const invocations = new ConnectionInvocations();
    let finish!: () => void;
    const { written, target, host, input } = setup(() => new Promise<void>((resolve) => (finish = resolve)));
    invocations.start(target, call(), host, input, undefined);
    let drained = false;
    const drain = invocations.drain(false).then(() => (drained = true));
    invocations.start(target, call('2'), host, input, undefined);
    assert.deepEqual(written, [{ type: MessageType.Completion, invocationId: '2', hasResult: false, error: 'The server is shutting down.' }]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(drained, false);
    finish();
    await drain;
    assert.equal(drained, true);
  });

  it('refuses an upload stream id that is open already or named twice', () => {
    const invocations = new ConnectionInvocations();
    const { written, target, host, input } = setup(() => undefined);
    const calls = new ConnectionCalls('c1', systemClock, 10, () => undefined);
    calls.openUploads(['open']);
    invocations.start(target, call('1', ['open']), host, input, calls);
    invocations.start(target, call('2', ['a', 'a']), host, input, undefined);
    assert.deepEqual(
      written.map((message) => message.type === MessageType.Completion && message.error),
      [
        "An unexpected error occurred invoking 'm' on the server. HubException: Stream ID 'open' is already in use.",
        "An unexpected error occurred invoking 'm' on the server. HubException: Stream ID 'a' is already in use.",
      ],
    );
  });
});
