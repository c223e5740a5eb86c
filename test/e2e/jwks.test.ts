/**
 * JWT bearer tokens verified against a JWKS URL, end to end: a local key server on port 0 that
 * rotates its keys, a hub using `createJwtAuthenticator({ jwksUrl })`, and the official client.
 * The keys are fetched on first use, fetched again when a token names an unknown `kid` (a
 * rotation), and not more often than `jwksCooldown`, so made-up `kid`s cannot flood the key server.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type CryptoKey } from 'jose';
import { createJwtAuthenticator, Hub } from 'hubwire';
import { connect, clientFor } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { within } from '../support/wait.js';

class WhoHub extends Hub {
  whoAmI(): string | undefined {
    return this.context.userIdentifier;
  }
}

interface SigningKey {
  readonly kid: string;
  readonly jwk: JWK;
  readonly privateKey: CryptoKey;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  return { kid, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }, privateKey };
}

function tokenFor(key: SigningKey, sub: string, kid = key.kid): Promise<string> {
  return new SignJWT({ sub }).setProtectedHeader({ alg: 'RS256', kid }).setIssuer('issuer').setExpirationTime('5m').sign(key.privateKey);
}

/** A key server publishing `keys` (swap them to rotate), counting its fetches. */
class KeyServer {
  keys: SigningKey[] = [];
  fetches = 0;
  readonly #server: Server = createServer((req, res) => {
    this.fetches++;
    const body = JSON.stringify({ keys: this.keys.map((key) => key.jwk) });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

describe('JWKS URL authentication end to end', () => {
  const keys = new KeyServer();
  let jwksUrl: string;
  let first: SigningKey;
  let second: SigningKey;
  before(async () => {
    jwksUrl = await keys.start();
    [first, second] = await Promise.all([signingKey('k1'), signingKey('k2')]);
  });
  after(() => keys.stop());

  async function hubWith(jwksCooldown: number): Promise<TestServer> {
    return startTestServer((hw) => hw.mapHub('/who', WhoHub, { authorize: true }), {
      authenticate: createJwtAuthenticator({ jwksUrl, issuer: 'issuer', jwksCooldown }),
    });
  }

  test('keys are fetched on first use and cached; a rotated key is fetched on its unknown kid; the retired key is refused', async () => {
    keys.keys = [first];
    keys.fetches = 0;
    const server = await hubWith(0);
    try {
      const ann = await connect(server.url('/who'), { accessTokenFactory: () => tokenFor(first, 'ann') });
      assert.equal(await ann.invoke('whoAmI'), 'ann');
      // Negotiate and the WebSocket both verified the token with one fetch.
      assert.equal(keys.fetches, 1);
      await ann.stop();

      keys.keys = [second];
      const bob = await connect(server.url('/who'), { accessTokenFactory: () => tokenFor(second, 'bob') });
      assert.equal(await bob.invoke('whoAmI'), 'bob');
      assert.equal(keys.fetches, 2, 'the unknown kid k2 made the server fetch the rotated set once');
      await bob.stop();

      const retired = clientFor(server.url('/who'), { accessTokenFactory: () => tokenFor(first, 'ann') }).build();
      await assert.rejects(within(retired.start(), 5000, 'the refused start'), /401/);
    } finally {
      await server.close();
    }
  });

  test('within jwksCooldown, made-up kids fetch nothing and are refused', async () => {
    keys.keys = [first];
    keys.fetches = 0;
    const server = await hubWith(60_000);
    try {
      const ann = await connect(server.url('/who'), { accessTokenFactory: () => tokenFor(first, 'ann') });
      assert.equal(keys.fetches, 1);
      for (let i = 0; i < 5; i++) {
        const forged = clientFor(server.url('/who'), { accessTokenFactory: () => tokenFor(first, 'mallory', `made-up-${i}`) }).build();
        await assert.rejects(within(forged.start(), 5000, 'a forged start'), /401/);
      }
      assert.equal(keys.fetches, 1, 'no fetch for unknown kids during the cooldown');
      assert.equal(await ann.invoke('whoAmI'), 'ann');
      await ann.stop();
    } finally {
      await server.close();
    }
  });
});
