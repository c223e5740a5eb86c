import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Hub, createJwtAuthenticator, serviceNegotiation, type Authenticator } from 'hubwire';
import { clientFor, type signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { within } from '../support/wait.js';

const ACCESS_KEY = 'service-negotiation-access-key-0123456789abcdef';

class WhoHub extends Hub {
  whoAmI() {
    return { user: this.context.userIdentifier, role: this.context.user?.claims['role'] };
  }
}

// An app's own /negotiate answering as Azure's SDK does: the official client follows the
// { url, accessToken } redirect to Hubwire, whose hub at /client checks the token (aud = url).
describe('serviceNegotiation: the official client follows an app negotiate to Hubwire', () => {
  let hubwire: TestServer;
  let app: Server;
  let appUrl = '';
  let signingKey = ACCESS_KEY;
  const open: signalR.HubConnection[] = [];

  before(async () => {
    // The audience names the port, known once listening: the authenticator is made then.
    let verify: Authenticator = () => undefined;
    hubwire = await startTestServer((hw) => hw.mapHub('/client', WhoHub, { authorize: true, authenticate: (request) => verify(request) }));
    verify = createJwtAuthenticator({ secret: ACCESS_KEY, audience: hubwire.url('/client/?hub=who'), userIdClaim: 'asrs.s.uid' });
    app = createServer((request, response) => {
      if (request.method !== 'POST' || request.url?.startsWith('/app/negotiate') !== true) {
        response.writeHead(404).end();
        return;
      }
      serviceNegotiation({ endpoint: hubwire.url('/'), hub: 'who', accessKey: signingKey, userId: 'ann', claims: { role: 'admin' } }).then(
        (answer) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer)),
        () => response.writeHead(500).end(),
      );
    });
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/app`;
  });
  after(async () => {
    await Promise.all(open.map((connection) => connection.stop()));
    await hubwire.close();
    app.close();
    app.closeAllConnections();
  });

  test('the redirected connection runs as the token user, with its claims', async () => {
    signingKey = ACCESS_KEY;
    const connection = clientFor(appUrl).build();
    open.push(connection);
    await within(connection.start(), 5000, 'start through the redirect');
    assert.deepEqual(await connection.invoke('WhoAmI'), { user: 'ann', role: 'admin' });
  });

  test('a token signed with another key is refused by Hubwire', async () => {
    signingKey = `${ACCESS_KEY}-rotated-away`;
    const connection = clientFor(appUrl).build();
    open.push(connection);
    await assert.rejects(within(connection.start(), 5000, 'refused start'), /401|Unauthorized/i);
  });
});
