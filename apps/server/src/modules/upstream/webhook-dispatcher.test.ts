import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../../../../test/support/fake-clock.js';
import { until } from '../../../../../test/support/wait.js';
import { parseRetryAfter, retryDelay } from './backoff.js';
import { UpstreamFailure, type UpstreamResponse } from './upstream-client.js';
import { UpstreamSettings } from './upstream-settings.js';
import type { UpstreamEvent, UpstreamRequest } from './upstream-types.js';
import { DEAD_LETTER_LIMIT, DEAD_LETTER_LOG_PER_SECOND, Dispatcher, type DispatcherOptions } from './webhook-dispatcher.js';
import { verifySignature } from './signature.js';

const KEY = 'dispatcher-test-key';
const connected = (connectionId = 'c1'): UpstreamEvent => ({ category: 'connections', event: 'connected', connection: { hub: 'chat', connectionId, claims: [], query: '' } });

/** A scripted upstream: each call takes the next answer (a status, a failure, or 'hang'). */
function scripted(answers: (number | UpstreamFailure | 'hang' | { status: number; retryAfter: string })[]) {
  const calls: UpstreamRequest[] = [];
  const post = (request: UpstreamRequest, _timeout: number, signal: AbortSignal): Promise<UpstreamResponse> => {
    calls.push(request);
    const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
    if (answer === 'hang') return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new UpstreamFailure('aborted'))));
    if (answer instanceof UpstreamFailure) return Promise.reject(answer);
    if (typeof answer === 'number') return Promise.resolve({ status: answer, headers: {}, body: new Uint8Array() });
    return Promise.resolve({ status: answer.status, headers: { 'retry-after': answer.retryAfter }, body: new Uint8Array() });
  };
  return { calls, post };
}

function dispatcher(post: DispatcherOptions['post'], overrides: Partial<DispatcherOptions> = {}) {
  const clock = new FakeClock();
  const warnings: object[] = [];
  const logger = { warn: (fields: object) => warnings.push(fields), debug: () => undefined };
  const settings = new UpstreamSettings([{ urlTemplate: 'http://upstream.test/api/{hub}/{category}/{event}?code=secret', hubPattern: 'chat', categoryPattern: 'connections', eventPattern: '*' }]);
  const instance = new Dispatcher({ settings, keys: [KEY], logger, clock, maxAttempts: 4, timeoutMs: 1000, queueLimit: 100, random: () => 0, post, ...overrides });
  return { instance, clock, warnings };
}

test('a 503 then 200 is retried after 0.5 s, 1 s … (jitter at its low end) with the same event id and a growing attempt number', async () => {
  const upstream = scripted([503, 503, 200]);
  const { instance, clock } = dispatcher(upstream.post);
  instance.enqueue(connected(), {});
  await until(() => upstream.calls.length === 1 && instance.inFlight === 0);
  clock.advance(499);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(upstream.calls.length, 1, 'not before the backoff');
  clock.advance(1);
  await until(() => upstream.calls.length === 2 && instance.inFlight === 0);
  clock.advance(999);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(upstream.calls.length, 2);
  clock.advance(1);
  await until(() => upstream.calls.length === 3 && instance.held === 0);
  const ids = upstream.calls.map((call) => call.headers['X-Hubwire-Event-Id']);
  assert.match(ids[0]!, /^[0-9a-f-]{36}$/);
  assert.deepEqual(new Set(ids).size, 1);
  assert.deepEqual(upstream.calls.map((call) => call.headers['X-Hubwire-Attempt']), ['1', '2', '3']);
  const first = upstream.calls[0]!;
  assert.equal(first.url, 'http://upstream.test/api/chat/connections/connected?code=secret');
  assert.equal(first.headers['X-ASRS-Event'], 'connected');
  assert.equal(verifySignature(first.headers['X-ASRS-Signature'], 'c1', [KEY]), true);
  assert.equal(Buffer.from(first.body).toString(), '{}');
  assert.deepEqual(instance.deadLetters(), []);
});

test('4xx is final: dead-lettered after one attempt, logged once without the query', async () => {
  const upstream = scripted([400]);
  const { instance, warnings } = dispatcher(upstream.post);
  instance.enqueue(connected(), {});
  await until(() => instance.deadLetters().length === 1);
  const [letter] = instance.deadLetters();
  assert.equal(letter!.reason, 'HTTP 400');
  assert.equal(letter!.attempts, 1);
  assert.equal(letter!.target, 'http://upstream.test/api/chat/connections/connected');
  assert.equal(letter!.id, upstream.calls[0]!.headers['X-Hubwire-Event-Id']);
  assert.equal(warnings.length, 1);
  assert.doesNotMatch(JSON.stringify(warnings), /secret/);
});

test('always 500 ends in the dead letters after maxAttempts; network errors are retried too', async () => {
  const upstream = scripted([new UpstreamFailure('ECONNREFUSED'), 500]);
  const { instance, clock } = dispatcher(upstream.post);
  instance.enqueue(connected(), {});
  for (let attempt = 1; attempt < 4; attempt++) {
    await until(() => upstream.calls.length === attempt && instance.inFlight === 0);
    clock.advance(30_000);
  }
  await until(() => instance.deadLetters().length === 1);
  assert.equal(upstream.calls.length, 4);
  assert.deepEqual({ ...instance.deadLetters()[0], at: undefined, id: undefined }, { id: undefined, at: undefined, hub: 'chat', category: 'connections', event: 'connected', connectionId: 'c1', target: 'http://upstream.test/api/chat/connections/connected', attempts: 4, reason: 'HTTP 500' });
  assert.equal(instance.held, 0);
});

test('429 and 408 honor Retry-After, capped at 30 s', async () => {
  const upstream = scripted([{ status: 429, retryAfter: '7' }, { status: 408, retryAfter: '120' }, 204]);
  const { instance, clock } = dispatcher(upstream.post);
  instance.enqueue(connected(), {});
  await until(() => upstream.calls.length === 1 && instance.inFlight === 0);
  clock.advance(6999);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(upstream.calls.length, 1);
  clock.advance(1);
  await until(() => upstream.calls.length === 2 && instance.inFlight === 0);
  clock.advance(29_999);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(upstream.calls.length, 2);
  clock.advance(1);
  await until(() => upstream.calls.length === 3 && instance.held === 0);
  assert.deepEqual(instance.deadLetters(), []);
});

test('a hanging upstream: at most `concurrency` in flight, at most queueLimit held, the rest dead-lettered as queue full', async () => {
  const upstream = scripted(['hang']);
  const { instance } = dispatcher(upstream.post, { concurrency: 2, queueLimit: 5 });
  for (let i = 0; i < 8; i++) instance.enqueue(connected(`c${i}`), {});
  assert.equal(instance.inFlight, 2);
  assert.equal(instance.held, 5);
  assert.equal(upstream.calls.length, 2);
  assert.deepEqual(instance.deadLetters().map((letter) => [letter.connectionId, letter.reason, letter.attempts]), [['c5', 'queue full', 0], ['c6', 'queue full', 0], ['c7', 'queue full', 0]]);
  await instance.close(10);
  assert.equal(instance.held, 0);
  assert.equal(instance.deadLetters().filter((letter) => letter.reason === 'shutting down').length, 5);
});

test('the dead letters keep the latest 1000', () => {
  const upstream = scripted(['hang']);
  const { instance } = dispatcher(upstream.post, { queueLimit: 1 });
  for (let i = 0; i < DEAD_LETTER_LIMIT + 51; i++) instance.enqueue(connected(`c${i}`), {});
  const letters = instance.deadLetters();
  assert.equal(letters.length, DEAD_LETTER_LIMIT);
  assert.equal(letters[0]!.connectionId, 'c51');
  assert.equal(letters.at(-1)!.connectionId, `c${DEAD_LETTER_LIMIT + 50}`);
  void instance.close(0);
});

test('a flood of dead letters logs DEAD_LETTER_LOG_PER_SECOND lines a second; the next line counts the ones not logged; the list keeps them all', () => {
  const upstream = scripted(['hang']);
  const { instance, clock, warnings } = dispatcher(upstream.post, { queueLimit: 1 });
  for (let i = 0; i < 500; i++) instance.enqueue(connected(`c${i}`), {});
  assert.equal(instance.deadLetters().length, 499);
  assert.equal(warnings.length, DEAD_LETTER_LOG_PER_SECOND);
  assert.ok(warnings.every((fields) => !('unlogged' in fields)));
  clock.advance(1000);
  instance.enqueue(connected('late'), {});
  assert.equal(warnings.length, DEAD_LETTER_LOG_PER_SECOND + 1);
  assert.deepEqual(warnings.at(-1), { webhook: instance.deadLetters().at(-1), unlogged: 499 - DEAD_LETTER_LOG_PER_SECOND });
  void instance.close(0);
});

test('nothing matching: wants is false and enqueue sends nothing', async () => {
  const upstream = scripted([200]);
  const { instance } = dispatcher(upstream.post);
  assert.equal(instance.wants('chat', 'groups', 'joined'), false);
  assert.equal(instance.wants('CHAT', 'connections', 'disconnected'), true);
  instance.enqueue({ category: 'groups', event: 'joined', connection: connected().connection }, { group: 'g' });
  instance.enqueue({ ...connected(), connection: { ...connected().connection, hub: 'other' } }, {});
  assert.equal(instance.held, 0);
  assert.equal(upstream.calls.length, 0);
  await instance.close(0);
});

test('close: pending retries are given up, a first attempt still goes out, later events are dead-lettered', async () => {
  const upstream = scripted([503, 200]);
  const { instance } = dispatcher(upstream.post);
  instance.enqueue(connected('retrying'), {});
  await until(() => upstream.calls.length === 1 && instance.inFlight === 0);
  instance.enqueue(connected('fresh'), {});
  await instance.close(1000);
  assert.equal(upstream.calls.length, 2);
  assert.equal(upstream.calls[1]!.headers['X-ASRS-Connection-Id'], 'fresh');
  instance.enqueue(connected('late'), {});
  assert.deepEqual(instance.deadLetters().map((letter) => [letter.connectionId, letter.reason]), [['retrying', 'shutting down'], ['late', 'shutting down']]);
});

test('retryDelay doubles from 1 s with jitter in [0.5, 1), caps at 30 s; Retry-After as seconds or a date', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 40].map((failed) => retryDelay(failed, () => 0.999999)), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  assert.deepEqual([1, 2, 3].map((failed) => retryDelay(failed, () => 0)), [500, 1000, 2000]);
  assert.equal(retryDelay(1, () => 0, {}, 45_000), 30_000);
  assert.equal(parseRetryAfter('3', 0), 3000);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000);
  assert.equal(parseRetryAfter('soon', 0), undefined);
  assert.equal(parseRetryAfter(undefined, 0), undefined);
});
