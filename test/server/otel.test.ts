/**
 * The server app with OTEL_EXPORTER_OTLP_ENDPOINT set exports to an OTLP/HTTP collector running
 * in the test process: a REST request's server span (continuing the caller's traceparent), the
 * hub invocation and connect spans under ASP.NET's ActivitySource name, and
 * Hubwire's metrics under their OpenTelemetry names and meters — periodically while it runs, and
 * a last time when it stops. Stopping also unregisters the SDK's globals.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { CONNECTION_DURATION_BUCKETS, Hub, HubError } from 'hubwire';
import type { AppModule } from '../../apps/server/src/app-context.js';
import { until } from '../support/wait.js';
import { OtlpCollector } from './otlp-collector.js';
import { signalR, startTestApp, type TestApp } from './support.js';

const HUB = '/hubs/traced';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN_ID = '00f067aa0ba902b7';

class TracedHub extends Hub {
  echo(value: unknown): unknown {
    return value;
  }
  fail(): never {
    throw new HubError('no');
  }
}

const tracedModule: AppModule = {
  name: 'traced',
  register(app) {
    app.hubwire.mapHub(HUB, TracedHub);
    app.routes.add('GET', '/api/traced/:id', ({ params }) => ({ status: 200, body: { id: params['id'] } }));
  },
};

describe('OpenTelemetry export over OTLP/HTTP', () => {
  let collector: OtlpCollector;
  let server: TestApp | undefined;

  before(async () => {
    collector = await OtlpCollector.start();
  });
  after(async () => {
    await server?.stop();
    await collector.close();
  });

  test('spans and metrics reach the collector while the app runs and when it stops', async () => {
    server = await startTestApp({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'hubwire-under-test', OTEL_METRIC_EXPORT_INTERVAL: '200' }, { modules: [tracedModule] });
    const client = await server.connect(HUB, { transport: signalR.HttpTransportType.WebSockets });
    assert.equal(await client.invoke('Echo', 7), 7);
    await assert.rejects(client.invoke('Fail'), /no/);
    const answer = await server.request('GET', '/api/traced/abc?secret=1', { headers: { traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01` } });
    assert.equal(answer.status, 200);

    // A periodic export while the client is connected.
    await until(() => collector.pointsOf('signalr.server.active_connections', { hub: HUB, 'signalr.transport': 'web_sockets' }).some((point) => point.value === 1), 5000, 'an export with the connection active');
    const [active] = collector.pointsOf('signalr.server.active_connections', { hub: HUB });
    assert.equal(active!.scope, 'Microsoft.AspNetCore.Http.Connections');
    assert.equal(active!.type, 'sum');
    assert.equal(active!.monotonic, false);
    assert.equal(active!.unit, '{connection}');
    assert.equal(active!.resource['service.name'], 'hubwire-under-test');

    // Stopping flushes the spans and exports the metrics once more (the connection ended by the shutdown).
    const stopping = server;
    server = undefined;
    await stopping.stop();

    const span = collector.spans.find((candidate) => candidate.name === 'GET /api/traced/:id');
    assert.ok(span, `spans: ${collector.spans.map((candidate) => candidate.name).join(', ')}`);
    assert.equal(span.kind, 2, 'SERVER');
    assert.equal(span.scope, 'hubwire.server');
    assert.equal(span.traceId, TRACE_ID);
    assert.equal(span.parentSpanId, PARENT_SPAN_ID);
    assert.equal(span.attributes['http.request.method'], 'GET');
    assert.equal(span.attributes['http.route'], '/api/traced/:id');
    assert.equal(span.attributes['http.response.status_code'], 200);
    assert.equal(span.attributes['url.path'], '/api/traced/abc', 'no query string in the span');
    assert.equal(span.resource['service.name'], 'hubwire-under-test');

    // The library's hub spans, through the app's SDK, named and tagged as ASP.NET's.
    const echo = collector.spans.find((candidate) => candidate.name === 'TracedHub/echo');
    assert.ok(echo, `spans: ${collector.spans.map((candidate) => candidate.name).join(', ')}`);
    assert.equal(echo.scope, 'Microsoft.AspNetCore.SignalR.Server');
    assert.equal(echo.kind, 2, 'SERVER');
    assert.deepEqual(
      { system: echo.attributes['rpc.system'], service: echo.attributes['rpc.service'], method: echo.attributes['rpc.method'] },
      { system: 'signalr', service: 'TracedHub', method: 'echo' },
    );
    const failed = collector.spans.find((candidate) => candidate.name === 'TracedHub/fail');
    assert.equal(failed?.attributes['error.type'], 'HubError');
    assert.equal(failed?.status.code, 2, 'status ERROR');
    assert.ok(collector.spans.some((candidate) => candidate.name === 'TracedHub/OnConnectedAsync'), 'the connect span');

    const last = Math.max(...collector.points.map((point) => point.batch));
    const final = (metric: string, match: Record<string, string> = {}) => collector.pointsOf(metric, match).filter((point) => point.batch === last);
    const [duration] = final('signalr.server.connection.duration', { hub: HUB, 'signalr.transport': 'web_sockets' });
    assert.ok(duration, 'the connection duration in the last export');
    assert.equal(duration.attributes['signalr.connection.status'], 'app_shutdown');
    assert.equal(duration.type, 'histogram');
    assert.equal(duration.unit, 's');
    assert.equal(duration.count, 1);
    assert.deepEqual(duration.explicitBounds, [...CONNECTION_DURATION_BUCKETS]);
    assert.equal(final('signalr.server.active_connections', { hub: HUB, 'signalr.transport': 'web_sockets' })[0]?.value, 0);

    const invocations = final('hubwire.invocations', { hub: HUB });
    assert.equal(invocations.find((point) => point.attributes['method'] === 'echo')?.value, 1);
    assert.equal(invocations.find((point) => point.attributes['method'] === 'fail')?.value, 1);
    assert.equal(invocations[0]!.scope, 'hubwire');
    assert.equal(invocations[0]!.monotonic, true);
    assert.equal(final('hubwire.invocation_errors', { hub: HUB, method: 'fail', code: 'hub_error' })[0]?.value, 1);
    const [echoDuration] = final('hubwire.invocation_duration', { hub: HUB, method: 'echo' });
    assert.equal(echoDuration?.count, 1);
    assert.equal(echoDuration?.unit, 's');
    const [rest] = final('hubwire.server.rest_requests', { method: 'GET', route: '/api/traced/:id', status: '200' });
    assert.equal(rest?.value, 1);
    assert.equal(rest?.scope, 'hubwire.server');
    assert.ok(collector.contentTypes.every((line) => line.endsWith('application/json')), collector.contentTypes.join('; '));

    // The SDK's globals are gone: spans are no-ops again.
    const probe = trace.getTracer('probe').startSpan('after stop');
    assert.equal(probe.isRecording(), false);
    probe.end();
  });

  test('without an endpoint nothing is exported and spans are not recorded', async () => {
    const before = collector.spans.length + collector.points.length;
    server = await startTestApp({}, { modules: [tracedModule] });
    assert.equal(trace.getTracer('probe').startSpan('no sdk').isRecording(), false);
    assert.equal((await server.request('GET', '/api/traced/x')).status, 200);
    const stopping = server;
    server = undefined;
    await stopping.stop();
    assert.equal(collector.spans.length + collector.points.length, before);
  });
});
