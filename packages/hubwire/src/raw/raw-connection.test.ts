import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpConnection } from '../connections/http-connection.js';
import { silentLogger } from '../core/logger.js';
import { createCounterMetrics } from '../core/metrics.js';
import type { Transport } from '../transports/transport.js';
import { ServerConnection, type RawConnectionHost } from './raw-connection.js';

/** A transport that records what the connection does to it. */
class RecordingTransport implements Transport {
  readonly kind = 'LongPolling' as const;
  readonly inherentKeepAlive = true;
  readonly calls: string[] = [];
  bufferedAmount = 0;
  send(payload: Buffer | string, binary: boolean): void {
    this.calls.push(`send:${binary ? 'binary' : 'text'}:${payload.toString()}`);
  }
  close(failed?: boolean): void {
    this.calls.push(failed === true ? 'close:failed' : 'close');
  }
  abort(): void {
    this.calls.push('abort');
  }
  pause(): void {
    this.calls.push('pause');
  }
  resume(): void {
    this.calls.push('resume');
  }
}

function connection(inbound = 1024): { raw: ServerConnection; transport: RecordingTransport; ended: ServerConnection[] } {
  const http = new HttpConnection({ connectionId: 'c1', token: 't1', negotiateVersion: 1, createdAt: 0, principal: undefined, clientAddress: '127.0.0.1' });
  const transport = new RecordingTransport();
  http.transport = transport;
  http.transportKind = 'LongPolling';
  const ended: ServerConnection[] = [];
  const host: RawConnectionHost = {
    path: '/raw',
    logger: silentLogger,
    metrics: createCounterMetrics(),
    labels: { connection: '/raw' },
    maximumInboundBufferSize: inbound,
    maximumOutboundBufferSize: 1000,
    connectionEnded: (c) => ended.push(c),
  };
  return { raw: new ServerConnection(http, host), transport, ended };
}

test('inbound data the handler does not read pauses the transport; reading resumes it', async () => {
  const { raw, transport } = connection(8);
  raw.events.onData(Buffer.from('0123456789'), false);
  assert.deepEqual(transport.calls, ['pause']);
  const reader = raw[Symbol.asyncIterator]();
  assert.deepEqual(await reader.next(), { done: false, value: '0123456789' });
  assert.deepEqual(transport.calls, ['pause', 'resume']);
});

test('text split inside a character between chunks is decoded whole; binary stays bytes', async () => {
  const { raw } = connection();
  const bytes = Buffer.from('é✓', 'utf8');
  raw.events.onData(bytes.subarray(0, 1), false);
  raw.events.onData(bytes.subarray(1, 3), false);
  raw.events.onData(bytes.subarray(3), false);
  raw.events.onData(Buffer.from([0xff]), true);
  raw.events.onClose(true);
  const received: unknown[] = [];
  for await (const data of raw) received.push(data);
  assert.deepEqual(received, ['é', '✓', Buffer.from([0xff])]);
});

test('send picks the frame type from the data; nothing is sent once closed', () => {
  const { raw, transport, ended } = connection();
  assert.equal(raw.send('text'), true);
  assert.equal(raw.send(Uint8Array.from([104, 105])), true);
  raw.close();
  assert.equal(raw.send('late'), false);
  assert.deepEqual(transport.calls, ['send:text:text', 'send:binary:hi', 'close']);
  assert.deepEqual(ended, [raw]);
  assert.equal(raw.signal.aborted, true);
});

test('a handler that throws closes the transport as failed; one that returns closes it normally', async () => {
  const failing = connection();
  await failing.raw.run(() => {
    throw new Error('boom');
  });
  assert.deepEqual(failing.transport.calls, ['close:failed']);
  const returning = connection();
  await returning.raw.run(async () => undefined);
  assert.deepEqual(returning.transport.calls, ['close']);
});

test('closed resolves when the transport reports its end', async () => {
  const { raw } = connection();
  raw.close();
  let closed = false;
  void raw.closed.then(() => (closed = true));
  await Promise.resolve();
  assert.equal(closed, false, 'the transport has not closed yet');
  raw.events.onClose(false);
  await raw.closed;
});
