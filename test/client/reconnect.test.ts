/**
 * @hubwire/client reconnecting: a server closed and started again on the same port (the client
 * retries on the injected schedule, calls the token factory again, and re-joins its
 * subscriptions from their last position), a first start retried until the server is there, and
 * stop() ending the retries.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbortError, type IRetryPolicy, type RetryContext } from '@microsoft/signalr';
import { retrySchedule, type HubState, type StreamPosition, type Timers } from '@hubwire/client';
import { until, within } from '../support/wait.js';
import { clientScope, publish, range } from './support.js';

const scope = clientScope();

/** Timers the test fires by hand: the start loop's waits become steps. */
class ManualTimers implements Timers {
  readonly requested: { readonly ms: number; readonly callback: () => void; cleared: boolean; fired: boolean }[] = [];

  setTimeout(callback: () => void, ms: number): unknown {
    const timer = { ms, callback, cleared: false, fired: false };
    this.requested.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    (handle as { cleared: boolean }).cleared = true;
  }

  /** The delay of the next timer the client sets (after its attempt failed); `fire()` ends the wait. */
  async next(what: string): Promise<{ ms: number; fire(): void }> {
    await until(() => this.requested.some((timer) => !timer.cleared && !timer.fired), 5000, what);
    const timer = this.requested.find((candidate) => !candidate.cleared && !candidate.fired)!;
    return {
      ms: timer.ms,
      fire: () => {
        timer.fired = true;
        timer.callback();
      },
    };
  }
}

/** A port nothing listens on (a server's, closed again). */
async function freePort(): Promise<number> {
  const server = await scope.server();
  await server.close();
  return server.port;
}

describe('reconnecting', () => {
  it('a server closed and started again on the same port: retries on the schedule, a fresh token, the subscription joined again from its position', async () => {
    const server = await scope.server();
    const policyCalls: RetryContext[] = [];
    const schedule = retrySchedule({ delays: [0, 100, 200], then: 200, jitter: 0 });
    const policy: IRetryPolicy = {
      nextRetryDelayInMilliseconds: (context) => {
        policyCalls.push(context);
        return schedule.nextRetryDelayInMilliseconds(context);
      },
    };
    const tokenCalls: number[] = [];
    const hub = scope.connect(server.url, {
      reconnect: policy,
      accessTokenFactory: () => {
        tokenCalls.push(Date.now());
        return `token-${tokenCalls.length}`;
      },
    });
    const states: HubState[] = [];
    hub.onStateChange((state) => void states.push(state));
    const values: number[] = [];
    hub.on.tick((value) => void values.push(value));
    const sinces: (StreamPosition | undefined)[] = [];
    const missed: unknown[] = [];
    const snapshots: unknown[] = [];
    hub.on.snapshot((state) => void snapshots.push(state));
    const subscription = hub.subscribe({
      group: 'room:a',
      join: (since) => {
        sinces.push(since);
        return hub.invoke.follow('room:a', since ?? null);
      },
      onMissed: (result) => void missed.push(result),
    });
    await within(subscription.joined, 5000, 'first join');
    // The factory is asked on negotiate and again for the WebSocket itself.
    assert.equal(tokenCalls.length, 2);
    assert.equal(await hub.invoke.token(), 'token-2');
    await publish(server, 'room:a', [1, 2, 3]);
    await until(() => values.length === 3, 5000, 'three ticks');
    const before = subscription.position!;
    assert.equal(before.offset, 3);

    await server.close();
    // Three failed attempts against the closed port, on the schedule.
    await until(() => policyCalls.length >= 4, 5000, 'four retry decisions');
    const restarted = await scope.server(server.port);
    await until(() => hub.state === 'connected', 5000, 'connected again');
    await until(() => sinces.length === 2 && missed.length === 1, 5000, 'the re-join');

    // (Auto-started: already connecting when the listener was added.)
    assert.deepEqual(states, ['connected', 'reconnecting', 'connected']);
    assert.deepEqual(policyCalls.slice(0, 4).map((context) => context.previousRetryCount), [0, 1, 2, 3]);
    // Each failed attempt asked for a token once (its negotiate): attempts k and k+1 are at least the k-th delay apart.
    const attempts = tokenCalls.slice(2);
    assert.ok(attempts.length >= 4, `${attempts.length} attempts`);
    const gaps = attempts.slice(1, 4).map((at, i) => at - attempts[i]!);
    for (const [i, expected] of [100, 200, 200].entries()) assert.ok(gaps[i]! >= expected - 2, `wait ${i + 1}: ${gaps[i]} ms, scheduled ${expected} ms`);
    assert.equal(await hub.invoke.token(), `token-${tokenCalls.length}`, 'the server saw the newest token');

    // The new server's history is a new epoch: not recovered, the snapshot came, live goes on.
    assert.deepEqual(sinces[1], before);
    assert.equal((missed[0] as { recovered: boolean }).recovered, false);
    assert.deepEqual(snapshots, [{ group: 'room:a', offset: 0 }]);
    await publish(restarted, 'room:a', [4, 5]);
    await until(() => values.length === 5, 5000, 'two more ticks');
    assert.deepEqual(values, range(1, 5));
    assert.equal(subscription.position!.offset, 2);
    assert.notEqual((subscription.position as { epoch?: string }).epoch, before.epoch);
  });

  it('retries a failed first start on the schedule until the server is there', async () => {
    const port = await freePort();
    const timers = new ManualTimers();
    let tokens = 0;
    const hub = scope.connect(`http://127.0.0.1:${port}/hubs/demo`, { autoStart: false, timers, accessTokenFactory: () => `t${++tokens}` });
    const starting = hub.start();
    assert.equal(hub.state, 'connecting');
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const wait = await timers.next(`wait ${i + 1}`);
      delays.push(wait.ms);
      wait.fire();
    }
    const last = await timers.next('wait 4');
    delays.push(last.ms);
    assert.deepEqual(delays, [0, 50, 100, 100], 'the injected schedule: 0, 50, 100, then 100');
    assert.equal(hub.state, 'connecting');
    await scope.server(port);
    last.fire();
    await within(starting, 5000, 'start');
    assert.equal(hub.state, 'connected');
    assert.equal(tokens, 6, 'a token for each failed negotiate, two for the connect (negotiate and WebSocket)');
    assert.equal(await hub.invoke.token(), 't6');
  });

  it('stop() ends the retries: the waiting start rejects and no further attempt is made', async () => {
    const port = await freePort();
    const timers = new ManualTimers();
    let tokens = 0;
    const hub = scope.connect(`http://127.0.0.1:${port}/hubs/demo`, { autoStart: false, timers, accessTokenFactory: () => `t${++tokens}` });
    const starting = hub.start();
    const wait = await timers.next('the first wait');
    await hub.stop();
    await assert.rejects(starting, AbortError);
    assert.equal(hub.state, 'disconnected');
    assert.equal(timers.requested[0]!.cleared, true);
    wait.fire(); // a timer firing late changes nothing
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(tokens, 1);
    assert.equal(timers.requested.length, 1);
  });

  it('a call while reconnecting waits callWaitTimeout at most, then fails; 0 fails at once; a call waiting when the connection comes back goes out', async () => {
    const server = await scope.server();
    const timers = new ManualTimers();
    // The official client's own reconnect waits a minute: the client stays 'reconnecting'.
    const hub = scope.connect(server.url, { timers, callWaitTimeout: 5000, reconnect: { delays: [60_000], then: 60_000, jitter: 0 } });
    await within(hub.start(), 5000, 'start');
    await server.close();
    await until(() => hub.state === 'reconnecting', 5000, 'reconnecting');

    const waiting = hub.invoke.echo('late');
    const wait = await timers.next('the call wait');
    assert.equal(wait.ms, 5000);
    wait.fire();
    await assert.rejects(waiting, /Cannot call 'echo': the hub client was not connected within 5000 ms/);

    const impatient = scope.connect(server.url, { timers: new ManualTimers(), callWaitTimeout: 0, autoStart: false });
    const starting = impatient.start().catch(() => undefined);
    await assert.rejects(impatient.invoke.echo('now'), /Cannot call 'echo': the hub client is connecting/);
    await impatient.stop();
    await starting;
  });

  it('a call made while connecting goes out once connected, its wait timer cleared', async () => {
    const port = await freePort();
    const timers = new ManualTimers();
    const hub = scope.connect(`http://127.0.0.1:${port}/hubs/demo`, { autoStart: false, timers, callWaitTimeout: 5000 });
    const starting = hub.start();
    const retry = await timers.next('the first retry wait');
    const call = hub.invoke.echo('queued');
    const callWait = timers.requested.find((timer) => timer.ms === 5000);
    assert.ok(callWait !== undefined, 'the call set its wait timer');
    await scope.server(port);
    retry.fire();
    await within(starting, 5000, 'start');
    assert.equal(await within(call, 5000, 'the queued call'), 'queued');
    assert.equal(callWait.cleared, true);
  });

  it('with reconnect: false a failed start is not retried', async () => {
    const port = await freePort();
    const errors: string[] = [];
    const hub = scope.connect(`http://127.0.0.1:${port}/hubs/demo`, { autoStart: false, reconnect: false, onError: (_error, where) => errors.push(where) });
    const states: HubState[] = [];
    hub.onStateChange((state) => void states.push(state));
    await assert.rejects(within(hub.start(), 5000, 'start'));
    assert.deepEqual(states, ['connecting', 'disconnected']);
    assert.deepEqual(errors, ['start']);
  });
});
