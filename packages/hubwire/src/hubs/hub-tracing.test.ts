/**
 * Spans of a real server as an SDK sees them (BasicTracerProvider → InMemorySpanExporter, the W3C
 * propagator and the AsyncLocalStorage context manager registered here, as an app's SDK set-up
 * would): names, kinds and attributes ASP.NET's, error status, the parent from a `traceparent`
 * header, a stream's span ending with the stream, connect and disconnect spans, app spans and log
 * lines inside the invocation's span — and, before any provider is registered or after it is
 * removed, no span, no context switch and no header extraction at all.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Context, ContextManager, TextMapGetter, TextMapPropagator, TextMapSetter, Tracer, TracerProvider } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { framed } from '../../../../test/support/json-stream.js';
import { RawClient } from '../../../../test/support/raw-client.js';
import { clientFor, signalR } from '../../../../test/support/signalr-client.js';
import { until, within } from '../../../../test/support/wait.js';
import { HubError, HubwireError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { TRACER_NAME } from '../core/tracing.js';
import { createHubServer, type HubServer } from '../server.js';
import { Hub } from './hub.js';

/** What the test releases to let the gated stream go on. */
let releaseGate: (() => void) | undefined;

class TracedHub extends Hub {
  echo(text: string) {
    return text;
  }

  async later(text: string) {
    await Promise.resolve();
    return text;
  }

  crash() {
    throw new TypeError('boom');
  }

  refuse() {
    throw new HubError('not allowed');
  }

  unreachable() {
    throw new HubwireError('HUB_ERR_BACKPLANE', 'Redis is away.');
  }

  /** Starts a span of the app's own after an await; returns the span id it sees as active. */
  async work() {
    await Promise.resolve();
    trace.getTracer('app').startSpan('app-work').end();
    return trace.getActiveSpan()?.spanContext().spanId;
  }

  async *count(n: number) {
    for (let i = 0; i < n; i++) yield i;
  }

  async *gated() {
    yield 1;
    await new Promise<void>((resolve) => (releaseGate = resolve));
    yield 2;
  }

  async *broken() {
    yield 1;
    throw new RangeError('the stream broke');
  }

  override async onDisconnected() {
    if (this.context.request.query.get('failDisconnect') === '1') throw new HubwireError('HUB_ERR_BACKPLANE', 'gone');
  }
}

/** One log call, with the span active while it was written (what a pino mixin would read). */
interface LogLine {
  readonly message: string;
  readonly fields: Record<string, unknown>;
  readonly spanId: string | undefined;
  readonly traceId: string | undefined;
}

function recordingLogger(lines: LogLine[]): Logger {
  const log = (fields: Record<string, unknown>, message: string) => {
    const active = trace.getActiveSpan()?.spanContext();
    lines.push({ message, fields, spanId: active?.spanId, traceId: active?.traceId });
  };
  return { debug: log, info: log, warn: log, error: log };
}

/** A provider that counts the spans started through it. */
class CountingProvider implements TracerProvider {
  started = 0;
  readonly #inner: TracerProvider;

  constructor(inner: TracerProvider) {
    this.#inner = inner;
  }

  getTracer(name: string, version?: string): Tracer {
    const tracer = this.#inner.getTracer(name, version);
    return {
      startSpan: (spanName, options, parent) => {
        this.started++;
        return tracer.startSpan(spanName, options, parent);
      },
      startActiveSpan: tracer.startActiveSpan.bind(tracer),
    };
  }
}

/** The ALS context manager, counting the contexts entered. */
class CountingContextManager implements ContextManager {
  entered = 0;
  readonly #inner = new AsyncLocalStorageContextManager();

  active(): Context {
    return this.#inner.active();
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    this.entered++;
    return this.#inner.with(ctx, fn, thisArg, ...args);
  }

  bind<T>(ctx: Context, target: T): T {
    return this.#inner.bind(ctx, target);
  }

  enable(): this {
    this.#inner.enable();
    return this;
  }

  disable(): this {
    this.#inner.disable();
    return this;
  }
}

/** The W3C propagator, counting extractions. */
class CountingPropagator implements TextMapPropagator {
  extracted = 0;
  readonly #inner = new W3CTraceContextPropagator();

  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    this.#inner.inject(ctx, carrier, setter);
  }

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    this.extracted++;
    return this.#inner.extract(ctx, carrier, getter);
  }

  fields(): string[] {
    return this.#inner.fields();
  }
}

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

const exporter = new InMemorySpanExporter();
const sdk = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const provider = new CountingProvider(sdk);
const contexts = new CountingContextManager().enable();
const propagator = new CountingPropagator();
const lines: LogLine[] = [];
let hubwire: HubServer;
let port = 0;
const httpUrl = (path: string) => `http://127.0.0.1:${port}${path}`;
const wsUrl = (path: string) => `ws://127.0.0.1:${port}${path}`;

before(async () => {
  context.setGlobalContextManager(contexts);
  propagation.setGlobalPropagator(propagator);
  hubwire = createHubServer({ shutdownTimeout: 1000, logger: recordingLogger(lines) });
  hubwire.mapHub('/traced', TracedHub, {
    authenticate: (request) => {
      const user = request.query.get('user');
      return user === null ? undefined : { userIdentifier: user, claims: {} };
    },
  });
  // A filter takes every invocation off the direct path: the full path's spans are the same.
  hubwire.mapHub('/filtered', TracedHub, {
    filters: [
      {
        invokeMethod: (invocation, next) => {
          lines.push({ message: 'filter', fields: {}, spanId: trace.getActiveSpan()?.spanContext().spanId, traceId: undefined });
          return next(invocation);
        },
      },
    ],
  });
  ({ port } = await hubwire.listen({ port: 0, host: '127.0.0.1' }));
});

after(async () => {
  await hubwire.close();
  trace.disable();
  propagation.disable();
  context.disable();
  await sdk.shutdown();
});

async function start(path: string): Promise<signalR.HubConnection> {
  const connection = clientFor(httpUrl(path), { transport: signalR.HttpTransportType.WebSockets }).build();
  await within(connection.start(), 5000, 'client start');
  return connection;
}

/** Sends invocations with headers over a raw WebSocket and waits for their Completions. */
async function rawCalls(path: string, ...messages: object[]): Promise<Record<string, unknown>[]> {
  const client = await RawClient.handshaken(wsUrl(path));
  try {
    client.send(framed(...messages));
    const wanted = messages.filter((message) => 'invocationId' in message).length;
    const completions: Record<string, unknown>[] = [];
    while (completions.length < wanted) completions.push(...(await client.nextMessages()).filter((message) => message.type === 3));
    return completions;
  } finally {
    client.close();
  }
}

function finished(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.name === name);
}

async function one(name: string): Promise<ReadableSpan> {
  await until(() => finished(name).length > 0, 5000, `a finished ${name} span`);
  const spans = finished(name);
  assert.equal(spans.length, 1, `one ${name} span`);
  return spans[0]!;
}

describe('with no tracer provider registered', () => {
  test('invocations, streams, connects and disconnects start no span, enter no context and extract no header', async () => {
    const connection = await start('/traced');
    assert.equal(await connection.invoke('echo', 'a'), 'a');
    await connection.invoke('later', 'b');
    await assert.rejects(connection.invoke('crash'));
    await rawCalls('/traced', { type: 1, invocationId: '1', target: 'echo', arguments: ['x'], headers: { traceparent: TRACEPARENT } });
    await rawCalls('/filtered', { type: 4, invocationId: '2', target: 'count', arguments: [2], headers: { traceparent: TRACEPARENT } });
    await connection.stop();
    assert.equal(provider.started, 0);
    assert.equal(contexts.entered, 0, 'no context.with');
    assert.equal(propagator.extracted, 0, 'no header extraction');
    assert.equal(exporter.getFinishedSpans().length, 0);
  });

  test('a provider registered after the server started is picked up, and one removed is let go', async () => {
    assert.ok(trace.setGlobalTracerProvider(provider));
    const connection = await start('/traced');
    await connection.invoke('echo', 'a');
    await until(() => finished('TracedHub/echo').length === 1, 5000, 'the echo span');
    assert.ok(contexts.entered > 0, 'the method ran in its span');
    trace.disable();
    const started = provider.started;
    const entered = contexts.entered;
    await connection.invoke('echo', 'b');
    await connection.invoke('later', 'c');
    await connection.stop();
    assert.equal(provider.started, started, 'no span once the provider is gone (no tracer kept from it)');
    assert.equal(contexts.entered, entered);
  });
});

describe('with a tracer provider registered', () => {
  before(() => {
    assert.ok(trace.setGlobalTracerProvider(provider));
  });

  beforeEach(() => {
    exporter.reset();
    lines.length = 0;
  });

  test('an invocation: {Hub}/{method} as declared, kind SERVER, rpc attributes, the tracer named as ASP.NET, no parent', async () => {
    const connection = await start('/traced');
    try {
      assert.equal(await connection.invoke('ECHO', 'hi'), 'hi');
      await connection.invoke('later', 'x');
    } finally {
      await connection.stop();
    }
    for (const method of ['echo', 'later']) {
      const span = await one(`TracedHub/${method}`);
      assert.equal(span.kind, SpanKind.SERVER);
      assert.deepEqual(span.attributes, { 'rpc.system': 'signalr', 'rpc.service': 'TracedHub', 'rpc.method': method });
      assert.equal(span.status.code, SpanStatusCode.UNSET);
      assert.equal(span.parentSpanContext, undefined, 'a root span');
      assert.equal(span.instrumentationScope.name, TRACER_NAME);
    }
  });

  test('failures: error.type is the Hubwire code or the error name, status ERROR; the warning is logged inside the span', async () => {
    const connection = await start('/traced');
    try {
      for (const method of ['crash', 'refuse', 'unreachable']) await assert.rejects(connection.invoke(method));
    } finally {
      await connection.stop();
    }
    const expected: Record<string, string> = { crash: 'TypeError', refuse: 'HubError', unreachable: 'HUB_ERR_BACKPLANE' };
    for (const [method, type] of Object.entries(expected)) {
      const span = await one(`TracedHub/${method}`);
      assert.equal(span.attributes['error.type'], type, method);
      assert.equal(span.status.code, SpanStatusCode.ERROR, method);
      const warning = lines.find((line) => line.message === 'hub method failed' && line.fields.method === method);
      assert.ok(warning, `a warning for ${method}`);
      assert.equal(warning.spanId, span.spanContext().spanId, `the ${method} warning carries the span`);
      assert.equal(warning.traceId, span.spanContext().traceId);
    }
  });

  test('the parent comes from the traceparent/tracestate headers, on the direct and the full path', async () => {
    const headers = { traceparent: TRACEPARENT, tracestate: 'vendor=abc' };
    const [direct] = await rawCalls('/traced', { type: 1, invocationId: '1', target: 'echo', arguments: ['x'], headers });
    assert.equal(direct!.result, 'x');
    await rawCalls('/filtered', { type: 1, invocationId: '2', target: 'later', arguments: ['y'], headers });
    for (const name of ['TracedHub/echo', 'TracedHub/later']) {
      const span = await one(name);
      assert.equal(span.spanContext().traceId, TRACE_ID, name);
      assert.equal(span.parentSpanContext?.spanId, PARENT_ID, name);
      assert.equal(span.parentSpanContext?.isRemote, true, name);
      assert.equal(span.spanContext().traceState?.get('vendor'), 'abc', name);
    }
    // Headers without a trace context leave the span a root.
    await rawCalls('/traced', { type: 1, invocationId: '3', target: 'echo', arguments: ['z'], headers: { other: 'value' } });
    await until(() => finished('TracedHub/echo').length === 2, 5000, 'the second echo span');
    assert.equal(finished('TracedHub/echo')[1]!.parentSpanContext, undefined);
  });

  test('spans the method and its filters start nest under the invocation span', async () => {
    for (const path of ['/traced', '/filtered']) {
      exporter.reset();
      lines.length = 0;
      const connection = await start(path);
      let seen: string | undefined;
      try {
        seen = await connection.invoke<string>('work');
      } finally {
        await connection.stop();
      }
      const span = await one('TracedHub/work');
      const own = await one('app-work');
      assert.equal(seen, span.spanContext().spanId, `${path}: the method sees its span as active`);
      assert.equal(own.parentSpanContext?.spanId, span.spanContext().spanId, `${path}: the app's span is a child`);
      assert.equal(own.spanContext().traceId, span.spanContext().traceId);
      if (path === '/filtered') assert.equal(lines.find((line) => line.message === 'filter')?.spanId, span.spanContext().spanId, 'the filter runs inside');
    }
  });

  test("a stream's span ends when the stream does; a broken stream marks it failed, a cancelled one does not", async () => {
    const connection = await start('/traced');
    try {
      const items: number[] = [];
      const done = new Promise<void>((resolve, reject) => {
        connection.stream<number>('gated').subscribe({ next: (item) => items.push(item), complete: resolve, error: reject });
      });
      await until(() => items.length === 1 && releaseGate !== undefined, 5000, 'the first item');
      assert.equal(finished('TracedHub/gated').length, 0, 'no finished span while the stream runs');
      releaseGate!();
      await within(done, 5000, 'the stream to complete');
      const span = await one('TracedHub/gated');
      assert.equal(span.kind, SpanKind.SERVER);
      assert.equal(span.status.code, SpanStatusCode.UNSET);

      await assert.rejects(
        new Promise<void>((resolve, reject) => connection.stream('broken').subscribe({ next: () => undefined, complete: resolve, error: reject })),
        /the stream broke|error occurred/,
      );
      const broken = await one('TracedHub/broken');
      assert.equal(broken.attributes['error.type'], 'RangeError');
      assert.equal(broken.status.code, SpanStatusCode.ERROR);
      const warning = lines.find((line) => line.message === 'stream failed');
      assert.equal(warning?.spanId, broken.spanContext().spanId, 'the stream warning carries its span');
    } finally {
      await connection.stop();
    }
    // Cancelled while the producer waits: it ends once the producer gets past its await.
    const client = await RawClient.handshaken(wsUrl('/traced'));
    try {
      releaseGate = undefined;
      client.send(framed({ type: 4, invocationId: 's', target: 'gated', arguments: [] }));
      await until(() => releaseGate !== undefined, 5000, 'the stream to wait');
      client.send(framed({ type: 5, invocationId: 's' }));
      const completion = (async () => {
        for (;;) if ((await client.nextMessages()).some((message) => message.type === 3)) return;
      })();
      releaseGate!();
      await within(completion, 5000, 'the Completion of the cancelled stream');
      await until(() => finished('TracedHub/gated').length === 2, 5000, 'the cancelled stream span');
    } finally {
      client.close();
    }
    assert.equal(finished('TracedHub/gated')[1]!.status.code, SpanStatusCode.UNSET);
  });

  test('connect and disconnect spans: {Hub}/OnConnectedAsync and {Hub}/OnDisconnectedAsync, kind INTERNAL; a failing onDisconnected', async () => {
    const connection = await start('/traced?user=ann&failDisconnect=1');
    const id = connection.connectionId;
    await connection.stop();
    // Other tests' connections may end meanwhile: this one's spans are found through its log lines.
    const lineOf = (message: string) => lines.find((line) => line.message === message && line.fields.connectionId === id);
    await until(() => lineOf('onDisconnected threw') !== undefined, 5000, 'the error line');
    const line = lineOf('onDisconnected threw')!;
    const disconnected = exporter.getFinishedSpans().find((span) => span.spanContext().spanId === line.spanId);
    assert.ok(disconnected, 'logged inside the disconnect span');
    assert.equal(disconnected.name, 'TracedHub/OnDisconnectedAsync');
    const connected = exporter.getFinishedSpans().find((span) => span.name === 'TracedHub/OnConnectedAsync');
    assert.ok(connected);
    for (const [span, method] of [
      [connected, 'OnConnectedAsync'],
      [disconnected, 'OnDisconnectedAsync'],
    ] as const) {
      assert.equal(span.kind, SpanKind.INTERNAL);
      assert.deepEqual(span.attributes['rpc.method'], method);
      assert.equal(span.attributes['rpc.service'], 'TracedHub');
      assert.equal(span.attributes['rpc.system'], 'signalr');
    }
    assert.equal(connected.status.code, SpanStatusCode.UNSET);
    assert.equal(disconnected.attributes['error.type'], 'HUB_ERR_BACKPLANE');
    assert.equal(disconnected.status.code, SpanStatusCode.ERROR);
    assert.equal(line.fields.user, 'ann');
    assert.equal(line.fields.hub, '/traced');
  });

  test('the log lines of a connection name its hub, connection and user', async () => {
    const connection = await start('/traced?user=bob');
    const id = connection.connectionId;
    try {
      await assert.rejects(connection.invoke('crash'));
    } finally {
      await connection.stop();
    }
    const lineOf = (message: string) => lines.find((line) => line.message === message && line.fields.connectionId === id);
    await until(() => lineOf('client disconnected') !== undefined, 5000, 'the disconnect line');
    for (const message of ['client connected', 'hub method failed', 'client disconnected']) {
      const line = lineOf(message);
      assert.ok(line, message);
      assert.deepEqual([line.fields.hub, line.fields.user], ['/traced', 'bob'], message);
    }
  });
});
