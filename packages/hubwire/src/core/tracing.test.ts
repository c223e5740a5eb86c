/**
 * The tracing helpers on their own: when a tracer is live, what `error.type` says, and when
 * `TracedCall.run` ends its span (at once for a synchronous call, at settlement otherwise, failed
 * on a throw or a rejection that it passes on).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { HubError, HubwireError } from './errors.js';
import { errorType, HubTracer, liveTracer } from './tracing.js';

describe('tracing helpers', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  after(async () => {
    trace.disable();
    await provider.shutdown();
  });

  test('no tracer and no span while no provider is registered', () => {
    assert.equal(liveTracer(), undefined);
    const tracer = new HubTracer('ChatHub', ['send']);
    assert.equal(tracer.invocation('send', { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }), undefined);
    assert.equal(tracer.connected(), undefined);
    assert.equal(tracer.disconnected(), undefined);
  });

  test('error.type: the Hubwire code, the error name, or _OTHER', () => {
    assert.equal(errorType(new HubwireError('HUB_ERR_SERIALIZATION', 'x')), 'HUB_ERR_SERIALIZATION');
    assert.equal(errorType(new HubError('x')), 'HubError');
    assert.equal(errorType(new TypeError('x')), 'TypeError');
    assert.equal(errorType('a string'), '_OTHER');
  });

  test('run ends the span at once for a synchronous call, at settlement for a promise, failed on a throw', async () => {
    assert.ok(trace.setGlobalTracerProvider(provider));
    const tracer = new HubTracer('ChatHub', ['send', 'Other']);
    assert.equal(tracer.invocation('unknown', undefined), undefined, 'no span for a method the hub lacks');

    const sync = tracer.invocation('send', undefined)!;
    assert.equal(sync.run(() => undefined), undefined);
    assert.equal(exporter.getFinishedSpans().length, 1, 'ended synchronously');

    let resolve!: () => void;
    const pending = tracer.invocation('other', undefined)!;
    const running = pending.run(() => new Promise<void>((done) => (resolve = done)))!;
    assert.equal(exporter.getFinishedSpans().length, 1, 'still running');
    resolve();
    await running;
    assert.deepEqual(
      exporter.getFinishedSpans().map((span) => span.name),
      ['ChatHub/send', 'ChatHub/Other'],
    );

    const throwing = tracer.invocation('send', undefined)!;
    assert.throws(() =>
      throwing.run(() => {
        throw new RangeError('sync');
      }),
    );
    const rejecting = tracer.connected()!;
    await assert.rejects(rejecting.run(() => Promise.reject(new HubwireError('HUB_ERR_BACKPLANE', 'async')))!);
    const [thrown, rejected] = exporter.getFinishedSpans().slice(2);
    assert.deepEqual([thrown!.attributes['error.type'], thrown!.status.code], ['RangeError', SpanStatusCode.ERROR]);
    assert.deepEqual([rejected!.name, rejected!.attributes['error.type'], rejected!.status.code], ['ChatHub/OnConnectedAsync', 'HUB_ERR_BACKPLANE', SpanStatusCode.ERROR]);
  });
});
