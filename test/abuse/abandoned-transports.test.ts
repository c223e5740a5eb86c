/**
 * Abandoned Server-Sent Events and long-polling connections: clients that negotiate, open their
 * transport and vanish (sockets destroyed, polls never repeated). The server must forget every
 * one of them — SSE when its socket closes, long polling after disconnectTimeout — and give
 * the memory back, while a canary client keeps its latency.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { eventually, mb, percentile, startAbuseServer, startCanary, type AbuseServer, type Canary } from './support/harness.js';

const CLIENTS = 300;
const HANDSHAKE = '{"protocol":"json","version":1}\u001e';

function http(port: number, method: string, path: string, options: { body?: string; headers?: Record<string, string>; keepOpen?: boolean } = {}): Promise<{ status: number; body: string; destroy: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: options.headers, agent: false, timeout: 10_000 }, (res) => {
      if (options.keepOpen) {
        // An event stream never ends: answer with the status, keep the socket to destroy later.
        resolve({ status: res.statusCode ?? 0, body: '', destroy: () => req.destroy() });
        res.resume();
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, destroy: () => req.destroy() }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

async function negotiate(port: number): Promise<string> {
  const answer = await http(port, 'POST', '/hubs/abuse/negotiate?negotiateVersion=1');
  assert.equal(answer.status, 200);
  return (JSON.parse(answer.body) as { connectionToken: string }).connectionToken;
}

describe('abandoned SSE and long-polling connections', () => {
  let server: AbuseServer;
  let canary: Canary;
  before(async () => {
    server = await startAbuseServer({ disconnectTimeout: 1000, heartbeatInterval: 200 });
    canary = await startCanary(server.hubUrl);
    await canary.roundTrips(20);
  });
  after(async () => {
    await canary?.stop();
    await server?.stop();
  });

  it('forgets every abandoned connection and gives the memory back; the canary keeps its latency', async () => {
    const baseline = await server.memory();
    const streams: { destroy: () => void }[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const token = await negotiate(server.port);
      if (i % 2 === 0) {
        const stream = await http(server.port, 'GET', `/hubs/abuse?id=${token}`, { headers: { accept: 'text/event-stream' }, keepOpen: true });
        assert.equal(stream.status, 200);
        assert.equal((await http(server.port, 'POST', `/hubs/abuse?id=${token}`, { body: HANDSHAKE })).status, 200);
        streams.push(stream);
      } else {
        assert.equal((await http(server.port, 'GET', `/hubs/abuse?id=${token}`)).status, 200);
        assert.equal((await http(server.port, 'POST', `/hubs/abuse?id=${token}`, { body: HANDSHAKE })).status, 200);
        // …and never polls again.
      }
    }
    // Counted, not live: the first long-polling ones may already be swept (disconnectTimeout is 1 s).
    const opened = (await server.stats()).counters['connectionsOpened']!;
    assert.ok(opened >= CLIENTS + 1, `all ${CLIENTS} completed the handshake (the server counts ${opened - 1})`);
    const latencies = await canary.roundTrips(50);
    for (const stream of streams) stream.destroy();

    let connections = Number.POSITIVE_INFINITY;
    await eventually(
      async () => (connections = (await server.stats()).connections) <= 1,
      15_000,
      () => `${connections} connections are still open (the canary is one)`,
    );
    assert.ok(server.alive);
    const after = await server.memory();
    assert.ok(percentile(latencies, 0.5) < 200 && percentile(latencies, 0.9) < 1000, `canary p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p90 ${percentile(latencies, 0.9).toFixed(1)} ms`);
    assert.ok(after.heapUsed - baseline.heapUsed < 8 * 1048576, `heap grew from ${mb(baseline.heapUsed)} to ${mb(after.heapUsed)}`);
  });
});
