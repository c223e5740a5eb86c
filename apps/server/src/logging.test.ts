import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { context, propagation, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createLogger } from './logging.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

describe('log lines and traces', () => {
  it('carry no trace fields when no OpenTelemetry SDK runs', () => {
    const { lines, logger } = capture();
    trace.getTracer('t').startActiveSpan('no sdk', (span) => {
      logger.info('inside');
      span.end();
    });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!['trace_id'], undefined);
    assert.equal(lines[0]!['span_id'], undefined);
  });

  describe('with an SDK registered', () => {
    let provider: NodeTracerProvider;
    before(() => {
      provider = new NodeTracerProvider();
      provider.register();
    });
    after(async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    });

    it("carry the active span's trace and span ids, and nothing outside a span", () => {
      const { lines, logger } = capture();
      let ids: { traceId: string; spanId: string } | undefined;
      trace.getTracer('t').startActiveSpan('request', (span) => {
        ids = span.spanContext();
        logger.info('inside');
        span.end();
      });
      logger.info('outside');
      assert.equal(lines.length, 2);
      assert.equal(lines[0]!['trace_id'], ids!.traceId);
      assert.equal(lines[0]!['span_id'], ids!.spanId);
      assert.equal(lines[1]!['trace_id'], undefined);
    });
  });
});
