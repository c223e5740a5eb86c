import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { Hub, createJwtAuthenticator } from 'hubwire';
import { clientFor, signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { within } from '../support/wait.js';

const SECRET = 'e2e-secret-long-enough-for-the-hs256-check';

async function token(sub: string, role: string[], options: { expired?: boolean; secret?: string } = {}): Promise<string> {
  return new SignJWT({ sub, role })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('hubwire-tests')
    .setExpirationTime(options.expired ? Math.floor(Date.now() / 1000) - 30 : '10m')
    .sign(new TextEncoder().encode(options.secret ?? SECRET));
}

class StaffHub extends Hub {
  whoAmI() {
    return { user: this.context.userIdentifier, roles: this.context.user?.roles };
  }
  purge() {
    return 'purged';
  }
  async notify(user: string, text: string) {
    await this.clients.user(user).send('notice', text);
  }
}

describe('JWT authentication and authorization', () => {
  let server: TestServer;
  const open: signalR.HubConnection[] = [];
  before(async () => {
    server = await startTestServer((hw) => {
      hw.mapHub('/staff', StaffHub, {
        authorize: { roles: ['member', 'admin'] },
        authorizeMethods: { purge: { roles: ['admin'] } },
      });
      hw.mapHub('/open', StaffHub);
    }, { authenticate: createJwtAuthenticator({ secret: SECRET, issuer: 'hubwire-tests' }) });
  });
  after(async () => {
    await Promise.all(open.map((connection) => connection.stop()));
    await server.close();
  });

  async function start(path: string, accessToken?: string): Promise<signalR.HubConnection> {
    const connection = clientFor(server.url(path), accessToken === undefined ? {} : { accessTokenFactory: () => accessToken }).build();
    await within(connection.start(), 5000, 'start');
    open.push(connection);
    return connection;
  }

  test('a member connects and the token decides the user and roles', async () => {
    const connection = await start('/staff', await token('jane', ['member']));
    assert.deepEqual(await connection.invoke('WhoAmI'), { user: 'jane', roles: ['member'] });
  });

  test('no token on a hub that requires a user: negotiate answers 401', async () => {
    await assert.rejects(start('/staff'), /Status code '401'/);
  });

  test('a bad signature or an expired token: 401', async () => {
    await assert.rejects(start('/staff', await token('jane', ['member'], { secret: 'another-secret-also-long-enough-for-it!!' })), /Status code '401'/);
    await assert.rejects(start('/staff', await token('jane', ['member'], { expired: true })), /Status code '401'/);
  });

  test('a user without a required role: 403', async () => {
    await assert.rejects(start('/staff', await token('guest', ['visitor'])), /Status code '403'/);
  });

  test('a method-level requirement fails the invocation, not the connection', async () => {
    const member = await start('/staff', await token('jane', ['member']));
    await assert.rejects(member.invoke('Purge'), { message: "Failed to invoke 'Purge' because user is unauthorized" });
    assert.deepEqual(await member.invoke('WhoAmI'), { user: 'jane', roles: ['member'] });
    const admin = await start('/staff', await token('root', ['admin']));
    assert.equal(await admin.invoke('purge'), 'purged');
  });

  test('the raw WebSocket upgrade is checked too (skipNegotiation)', async () => {
    const connection = clientFor(server.url('/staff'), { skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets }).build();
    await assert.rejects(within(connection.start(), 5000, 'start'));
  });

  test('anonymous clients may use a hub without requirements; the token still names the user', async () => {
    const anonymous = await start('/open');
    assert.deepEqual(await anonymous.invoke('WhoAmI'), {});
    const john = await start('/open', await token('john', []));
    const received = new Promise<string>((resolve) => john.on('notice', resolve));
    await anonymous.invoke('Notify', 'john', 'hello john');
    assert.equal(await within(received, 5000, 'notice'), 'hello john');
  });
});
