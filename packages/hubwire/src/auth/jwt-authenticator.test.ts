import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { createJwtAuthenticator } from './jwt-authenticator.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const request = (token?: string, where: 'header' | 'query' = 'header') => ({
  headers: token !== undefined && where === 'header' ? { authorization: `Bearer ${token}` } : {},
  query: new URLSearchParams(token !== undefined && where === 'query' ? { access_token: token } : {}),
  cookies: {},
  remoteAddress: '127.0.0.1',
});

async function hs256(claims: Record<string, unknown>, options: { expiresIn?: string | number; issuer?: string; audience?: string; secret?: string } = {}) {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (options.expiresIn !== undefined) jwt = jwt.setExpirationTime(options.expiresIn);
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

describe('createJwtAuthenticator', () => {
  const authenticate = createJwtAuthenticator({ secret: SECRET, issuer: 'hubwire', audience: 'clients' });

  test('a valid token from the header or the access_token query gives the user, roles and claims', async () => {
    const token = await hs256({ sub: 'jane', role: ['member', 'admin'], org: 'acme' }, { expiresIn: '1h', issuer: 'hubwire', audience: 'clients' });
    for (const where of ['header', 'query'] as const) {
      const user = await authenticate(request(token, where));
      assert.equal(user?.userIdentifier, 'jane');
      assert.deepEqual(user?.roles, ['member', 'admin']);
      assert.equal(user?.claims['org'], 'acme');
    }
  });

  test('no token is anonymous', async () => {
    assert.equal(await authenticate(request()), undefined);
  });

  test('a bad signature, an expired token, a wrong issuer or audience are refused', async () => {
    const cases = [
      await hs256({ sub: 'x' }, { expiresIn: '1h', issuer: 'hubwire', audience: 'clients', secret: 'another-secret-that-is-long-enough-too!!' }),
      await hs256({ sub: 'x' }, { expiresIn: Math.floor(Date.now() / 1000) - 60, issuer: 'hubwire', audience: 'clients' }),
      await hs256({ sub: 'x' }, { expiresIn: '1h', issuer: 'someone-else', audience: 'clients' }),
      await hs256({ sub: 'x' }, { expiresIn: '1h', issuer: 'hubwire', audience: 'other' }),
      'not.a.jwt',
    ];
    for (const token of cases) await assert.rejects(async () => authenticate(request(token)));
  });

  test('custom user id and roles claims', async () => {
    const custom = createJwtAuthenticator({ secret: SECRET, userIdClaim: 'name', rolesClaim: 'roles' });
    const user = await custom(request(await hs256({ name: 'john', roles: 'admin' })));
    assert.equal(user?.userIdentifier, 'john');
    assert.deepEqual(user?.roles, ['admin']);
  });

  test('verifies RS256 tokens against a JWKS', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
    const withKeys = createJwtAuthenticator({ jwks: { keys: [jwk] } });
    const token = await new SignJWT({ sub: 'ann' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey);
    assert.equal((await withKeys(request(token)))?.userIdentifier, 'ann');
    const wrongKind = await hs256({ sub: "ann" });
    await assert.rejects(async () => withKeys(request(wrongKind)));
  });

  test('refuses unusable options when created', () => {
    assert.throws(() => createJwtAuthenticator({}), /exactly one of secret, jwks or jwksUrl/);
    assert.throws(() => createJwtAuthenticator({ secret: 'short' }), /at least 32 bytes/);
  });
});
