/**
 * WebSocket clients that never read, under broadcast. Each one stops reading right after the
 * handshake while the server broadcasts several megabytes: the kernel takes the first few
 * megabytes of each socket, then bytes wait in the server process, where the outbound-buffer
 * limit or the send timeout must drop the client. Memory stays bounded, a reading client gets
 * every message, and a canary keeps its latency.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TcpWebSocket } from '../support/tcp-websocket.js';
import { eventually, mb, percentile, rawHubSocket, startAbuseServer, startCanary, type AbuseServer, type Canary } from './support/harness.js';

const STUCK = 20;
const MESSAGES = 96;
const BYTES = 64 * 1024; // 6 MB per client in all: past what the kernel buffers for a socket
// The broadcast goes out in rounds of 1 MB, each once the reading client has it all: a reader
// that the noisy machine stalls for a moment must not pile up past the 1 MiB slow-consumer limit
// itself, while a stuck client's backlog still grows by every round.
const ROUND = 16;

describe('never-reading WebSocket clients under broadcast', () => {
  let server: AbuseServer;
  let canary: Canary;
  before(async () => {
    server = await startAbuseServer({ heartbeatInterval: 200, transportSendTimeout: 2000 });
    canary = await startCanary(server.hubUrl);
    await canary.roundTrips(20);
  });
  after(async () => {
    await canary?.stop();
    await server?.stop();
  });

  it('drops every client that stopped reading, keeps memory bounded, and serves the others', async () => {
    const baseline = await server.memory();
    const stuck = await Promise.all(Array.from({ length: STUCK }, () => TcpWebSocket.handshaken(server.port, '/hubs/abuse', 10_000)));
    for (const client of stuck) client.socket.pause();
    const reader = await rawHubSocket(server.port);
    let received = 0;
    // Said on failure: whether the server dropped the reader, and with which Close.
    let closedWith = '';
    reader.on('message', (data: Buffer) => {
      for (const message of data.toString('utf8').split('\u001e')) {
        if (message.includes('"tick"')) received++;
        else if (message.startsWith('{"type":7')) closedWith = message;
      }
    });
    reader.once('close', (code) => (closedWith ||= `socket closed ${code}`));

    const broadcasting = (async () => {
      for (let sent = ROUND; sent <= MESSAGES; sent += ROUND) {
        await server.broadcast(ROUND, BYTES);
        await eventually(async () => received >= sent, 20_000, () => `the reading client got ${received} of ${sent}${closedWith && `, then was dropped: ${closedWith}`}`);
      }
    })();
    const latencies = await canary.roundTrips(40);
    await broadcasting;
    assert.equal(received, MESSAGES, 'the reading client got every message once');

    let stats = await server.stats();
    await eventually(
      async () => {
        stats = await server.stats();
        return stats.counters['slowConsumerDisconnects']! + stats.counters['sendTimeouts']! >= STUCK;
      },
      20_000,
      () => `only ${stats.counters['slowConsumerDisconnects']} slow-consumer and ${stats.counters['sendTimeouts']} send-timeout closes of ${STUCK}`,
    );
    const peak = await server.memory();
    assert.ok(server.alive, 'the server is alive');
    // The canary and the reader are still connected.
    assert.equal(stats.connections, 2);
    assert.ok(percentile(latencies, 0.5) < 200 && percentile(latencies, 0.9) < 1000, `canary p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p90 ${percentile(latencies, 0.9).toFixed(1)} ms`);
    // Without limits this would be about 6 MB per stuck client held in the process.
    const grown = peak.heapUsed + peak.arrayBuffers - (baseline.heapUsed + baseline.arrayBuffers);
    assert.ok(grown < 32 * 1048576, `heap + buffers grew ${mb(grown)} for ${STUCK} never-reading clients`);
    reader.close();
    for (const client of stuck) client.socket.destroy();
  });
});
