/**
 * No credential reaches a log line: a whole session against the server app at debug level —
 * tokens issued, REST calls refused and allowed with the token in the query and the header, hub
 * connections over every transport, refused hub connections, a malformed HTTP request carrying an
 * Authorization header — and then the captured log is searched for every token it used.
 */
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { signalR } from '../support/signalr-client.js';
import { within } from '../support/wait.js';
import { signToken, startTestApp, type TestApp } from '../server/support.js';

describe('log redaction over a full session', () => {
  let server: TestApp;
  before(async () => {
    server = await startTestApp({ LOG_LEVEL: 'debug' });
  });
  after(() => server.stop());

  it('writes no token the session used, while still logging the refusals', async () => {
    const admin = await server.token('admin');
    const jane = await server.token('jane.smith');
    const forged = await signToken({ sub: 'mallory', role: 'admin' }, { secret: 'not-the-server-secret-but-long-enough-32b' });
    const expired = await signToken({ sub: 'jane.smith' }, { expiresAt: Math.floor(Date.now() / 1000) - 60 });
    const secrets = [admin, jane, forged, expired];

    // REST: refused for the role (403, the URL is logged), refused for a bad token (401), allowed.
    assert.equal((await server.request('GET', `/api/admin/realtime/platform-snapshot?access_token=${encodeURIComponent(jane)}`)).status, 403);
    assert.equal((await server.request('GET', `/api/admin/realtime/platform-snapshot?access_token=${encodeURIComponent(forged)}`)).status, 401);
    assert.equal((await server.request('GET', '/api/admin/realtime/platform-snapshot', { token: expired })).status, 401);
    assert.equal((await server.request('GET', `/api/admin/realtime/platform-snapshot?access_token=${encodeURIComponent(admin)}`)).status, 200);

    // Hubs: a real client over each transport (the token goes in the query for WebSockets and SSE).
    for (const transport of [signalR.HttpTransportType.WebSockets, signalR.HttpTransportType.ServerSentEvents, signalR.HttpTransportType.LongPolling]) {
      const connection = await server.connect('/hubs/chat', { token: jane, transport });
      await within(connection.stop(), 5000, 'client stop');
    }
    // Refused hub connections: an expired token in the query and a forged one in the header.
    const refusedQuery = await fetch(server.url(`/hubs/chat/negotiate?negotiateVersion=1&access_token=${encodeURIComponent(expired)}`), { method: 'POST' });
    assert.equal(refusedQuery.status, 401);
    const refusedHeader = await fetch(server.url('/hubs/chat/negotiate?negotiateVersion=1'), { method: 'POST', headers: { authorization: `Bearer ${forged}` } });
    assert.equal(refusedHeader.status, 401);

    // A request Node's HTTP parser rejects: its error carries the raw bytes, token included.
    await new Promise<void>((resolve, reject) => {
      const socket = netConnect(Number(new URL(server.app.url).port), '127.0.0.1', () => {
        socket.write(`GET /api/x?access_token=${admin} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\nBad Header Line\r\n\r\n`);
      });
      socket.on('data', () => undefined);
      socket.on('close', () => resolve());
      socket.on('error', reject);
      socket.setTimeout(5000, () => socket.destroy(new Error('no answer to a malformed request')));
    });

    const log = server.logs.map((line) => JSON.stringify(line)).join('\n');
    // The log is not empty of the events: the refusals and the bad request were written.
    assert.ok(server.logs.some((line) => line.msg === 'REST authorization refused' && String(line['url']).includes('access_token=[redacted]')), 'the 403 is logged with a redacted URL');
    assert.ok(server.logs.some((line) => line.msg === 'REST authentication refused'), 'the 401 is logged');
    assert.ok(server.logs.some((line) => line.msg === 'bad HTTP request'), 'the parser error is logged');
    assert.ok(server.logs.some((line) => line.msg === 'client connected'), 'hub connections are logged');
    for (const [index, secret] of secrets.entries()) {
      assert.equal(log.includes(secret), false, `token #${index} appears in the log`);
      // A token split into its signature still identifies it; look for that alone too.
      assert.equal(log.includes(secret.split('.')[2]!), false, `the signature of token #${index} appears in the log`);
    }
  });
});
