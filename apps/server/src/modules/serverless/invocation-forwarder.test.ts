import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { FakeClock } from '../../../../../test/support/fake-clock.js';
import { UpstreamFailure, type UpstreamResponse } from '../upstream/upstream-client.js';
import { UpstreamSettings } from '../upstream/upstream-settings.js';
import type { UpstreamRequest } from '../upstream/upstream-types.js';
import { InvocationForwarder, type ForwardedCall } from './invocation-forwarder.js';

const SECRET_URL = 'https://fn.example.com/api/{hub}/{category}/{event}?code=very-secret';
const connection = { hub: 'chat', connectionId: 'c1', userId: 'jane', claims: [], query: '' };
const call: ForwardedCall = { connection, protocol: 'json', target: 'Add', arguments: [1, 2], invocationId: '1' };
const ok = (body: string): UpstreamResponse => ({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) });
const status = (code: number): UpstreamResponse => ({ status: code, headers: {}, body: new Uint8Array(0) });

/** A forwarder whose exchanges answer from `answers` in turn (an Error is thrown), on a fake clock stepped whenever it waits. */
function forwarder(answers: (UpstreamResponse | Error)[], items = [{ urlTemplate: SECRET_URL, hubPattern: '*', categoryPattern: 'messages', eventPattern: '*' }]) {
  const clock = new FakeClock();
  const requests: { request: UpstreamRequest; timeoutMs: number; at: number }[] = [];
  const waits: number[] = [];
  const setTimeout = clock.setTimeout.bind(clock);
  clock.setTimeout = (fn, ms) => {
    waits.push(ms);
    const handle = setTimeout(fn, ms);
    queueMicrotask(() => clock.advance(ms));
    return handle;
  };
  const instance = new InvocationForwarder({
    settings: new UpstreamSettings(items),
    keys: ['k1', 'k2'],
    timeoutMs: 1000,
    clock,
    logger: pino({ level: 'silent' }),
    post: (request, timeoutMs) => {
      requests.push({ request, timeoutMs, at: clock.now() });
      const answer = answers.shift() ?? status(500);
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  });
  return { instance, requests, waits };
}

test('one POST to the matching item: the X-ASRS headers, the invocation as body, the answer as result', async () => {
  const { instance, requests } = forwarder([ok('{"type":3,"invocationId":"1","result":3}\u001e')]);
  assert.deepEqual(await instance.forward(call), { ok: true, result: 3 });
  assert.equal(requests.length, 1);
  const { request } = requests[0]!;
  assert.equal(request.url, 'https://fn.example.com/api/chat/messages/Add?code=very-secret');
  assert.equal(request.headers['X-ASRS-Category'], 'messages');
  assert.equal(request.headers['X-ASRS-Event'], 'Add');
  assert.equal(request.headers['X-ASRS-User-Id'], 'jane');
  assert.match(request.headers['X-ASRS-Signature']!, /^sha256=[0-9a-f]{64},sha256=[0-9a-f]{64}$/);
  assert.equal(request.headers['Content-Type'], 'application/json');
  assert.equal(Buffer.from(request.body).toString(), '{"type":1,"invocationId":"1","target":"Add","arguments":[1,2]}\u001e');
});

test('5xx, timeouts and network errors are retried with a doubling backoff; the third attempt answers', async () => {
  const { instance, requests, waits } = forwarder([status(503), new UpstreamFailure('timeout'), ok('{"sum":3}')]);
  assert.deepEqual(await instance.forward(call), { ok: true, result: { sum: 3 } });
  assert.equal(requests.length, 3);
  assert.deepEqual(waits, [100, 200]);
});

test('always 500: fails after three attempts with an error naming the status, not the URL', async () => {
  const { instance, requests } = forwarder([status(500), status(500), status(500), ok('{}')]);
  const outcome = await instance.forward(call);
  assert.equal(requests.length, 3);
  assert.equal(outcome.ok, false);
  assert.ok(!outcome.ok && /HTTP 500/.test(outcome.error) && !outcome.error.includes('fn.example.com') && !outcome.error.includes('secret'), JSON.stringify(outcome));
});

test('a 4xx is final; a Completion error is the error; no matching item fails at once', async () => {
  const refused = forwarder([status(404), ok('{}')]);
  const outcome = await refused.instance.forward(call);
  assert.ok(!outcome.ok && /HTTP 404/.test(outcome.error));
  assert.equal(refused.requests.length, 1);
  const failed = forwarder([ok('{"type":3,"invocationId":"1","error":"Bad input"}\u001e')]);
  assert.deepEqual(await failed.instance.forward(call), { ok: false, error: 'Bad input' });
  const none = forwarder([], [{ urlTemplate: SECRET_URL, hubPattern: 'other', categoryPattern: '*', eventPattern: '*' }]);
  const missing = await none.instance.forward(call);
  assert.ok(!missing.ok && /no upstream/i.test(missing.error));
  assert.equal(none.requests.length, 0);
});

test('each attempt is bounded by the timeout and the whole by attempts × timeout', async () => {
  const { instance, requests } = forwarder([new UpstreamFailure('ECONNREFUSED'), new UpstreamFailure('ECONNREFUSED'), new UpstreamFailure('ECONNREFUSED')]);
  const outcome = await instance.forward(call);
  assert.ok(!outcome.ok && /ECONNREFUSED/.test(outcome.error));
  for (const { timeoutMs } of requests) assert.ok(timeoutMs <= 1000);
  const first = requests[0]!.at;
  for (const { at, timeoutMs } of requests) assert.ok(at + timeoutMs <= first + 3000);
});
