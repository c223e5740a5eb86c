/**
 * A negotiate flood with 12 KB headers (issue #14, item 3): nothing of a negotiate request is
 * kept but the user and the client address, so each pending connection costs well under a
 * kilobyte instead of its request; past `maximumPendingConnectionsPerAddress` the flood gets 429
 * with Retry-After and memory stops growing, while a canary client keeps its latency.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { mb, percentile, startAbuseServer, startCanary, type AbuseServer, type Canary } from './support/harness.js';

const CAP = 2000;
const ATTEMPTS = 4000;
const PAD = 'x'.repeat(12 * 1024);
/** Generous: a pending connection measures about 0.7 KB; its request alone would be over 12 KB. */
const MAX_BYTES_PER_PENDING = 1536;

interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
}

function negotiateOnce(port: number, agent: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/hubs/abuse/negotiate?negotiateVersion=1', agent, headers: { 'X-Pad': PAD } }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('negotiate timed out')));
    req.once('error', reject);
    req.end();
  });
}

/** `count` negotiates over `parallel` keep-alive sockets. */
async function flood(port: number, count: number, parallel = 16): Promise<Answer[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: parallel });
  const answers: Answer[] = [];
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < count) {
          next++;
          answers.push(await negotiateOnce(port, agent));
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return answers;
}

describe('negotiate flood with 12 KB headers', () => {
  let server: AbuseServer;
  let canary: Canary;
  before(async () => {
    // Nothing is swept during the test: every accepted negotiate stays pending.
    server = await startAbuseServer({ disconnectTimeout: 120_000, maximumPendingConnectionsPerAddress: CAP });
    canary = await startCanary(server.hubUrl);
    await canary.roundTrips(20);
  });
  after(async () => {
    await canary?.stop();
    await server?.stop();
  });

  it('keeps under 1.5 KB per pending connection, refuses past the cap with 429, and the canary keeps its latency', async () => {
    const baseline = await server.memory();
    const quiet = percentile(await canary.roundTrips(30), 0.95);

    const answers = await flood(server.port, ATTEMPTS);
    const accepted = answers.filter((answer) => answer.status === 200).length;
    const refused = answers.filter((answer) => answer.status === 429);
    const statuses = [...new Set(answers.map((answer) => answer.status))];
    assert.equal(accepted, CAP, `the per-address cap lets exactly CAP in (statuses: ${statuses.join(', ')})`);
    assert.equal(refused.length, ATTEMPTS - CAP);
    assert.ok(refused.every((answer) => answer.retryAfter === '120'), 'Retry-After is disconnectTimeout in seconds');

    const loaded = await server.memory();
    const perPending = (loaded.heapUsed - baseline.heapUsed) / CAP;
    assert.ok(
      perPending < MAX_BYTES_PER_PENDING,
      `heap grew ${mb(loaded.heapUsed - baseline.heapUsed)} for ${CAP} pending connections: ${perPending.toFixed(0)} bytes each`,
    );

    // Past the cap the flood costs nothing more.
    await flood(server.port, 1000);
    const after = await server.memory();
    assert.ok(after.heapUsed - loaded.heapUsed < 2 * 1024 * 1024, `heap grew ${mb(after.heapUsed - loaded.heapUsed)} while everything was refused`);

    const stats = await server.stats();
    assert.equal(stats.counters['rateLimited'], ATTEMPTS - CAP + 1000);
    const busy = percentile(await canary.roundTrips(30), 0.95);
    assert.ok(busy < Math.max(50, quiet * 5), `canary p95 ${busy.toFixed(1)} ms (quiet: ${quiet.toFixed(1)} ms)`);
    assert.ok(server.alive);
  });
});
