/**
 * Algorithms are pinned to the kind of key: a token never picks its own check. Real tokens for
 * each confusion: `none`, HS* against public keys (the public key's bytes as an HMAC secret, or
 * an `oct` key slipped into the key set), RS* against a secret.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type JWK } from 'jose';
import { createJwtAuthenticator, HMAC_ALGORITHMS, PUBLIC_KEY_ALGORITHMS } from './jwt-authenticator.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs512-too-0123456789abcdef';
const request = (token: string) => ({ headers: { authorization: `Bearer ${token}` }, query: new URLSearchParams(), cookies: {}, remoteAddress: '127.0.0.1' });
const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsecured token: `alg: none`, empty signature. */
function unsecured(claims: object): string {
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
}

async function keySet(): Promise<{ jwk: JWK; sign: (alg: string, claims?: object) => Promise<string>; publicPem: string }> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'rsa', use: 'sig' };
  return {
    jwk,
    publicPem: await exportSPKI(publicKey),
    sign: (alg, claims = { sub: 'ann' }) => new SignJWT({ ...claims }).setProtectedHeader({ alg, kid: 'rsa' }).sign(privateKey),
  };
}

describe('a secret verifies HMAC tokens only', () => {
  const authenticate = createJwtAuthenticator({ secret: SECRET });

  test('HS256, HS384 and HS512 are accepted by default', async () => {
    for (const alg of HMAC_ALGORITHMS) {
      const token = await new SignJWT({ sub: alg }).setProtectedHeader({ alg }).sign(new TextEncoder().encode(SECRET));
      assert.equal((await authenticate(request(token)))?.userIdentifier, alg);
    }
  });

  test('alg none and an RS256 token are refused', async () => {
    await assert.rejects(async () => authenticate(request(unsecured({ sub: 'mallory' }))));
    const { sign } = await keySet();
    await assert.rejects(async () => authenticate(request(await sign('RS256'))));
  });

  test('a configured list narrows the defaults; another kind or none is refused at creation', async () => {
    const only512 = createJwtAuthenticator({ secret: SECRET, algorithms: ['HS512'] });
    const hs256 = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    await assert.rejects(async () => only512(request(hs256)));
    for (const algorithms of [['RS256'], ['none'], ['HS256', 'none'], []]) {
      assert.throws(() => createJwtAuthenticator({ secret: SECRET, algorithms }), /accepts only HS256, HS384, HS512/);
    }
  });
});

describe('public keys verify public-key tokens only', () => {
  test('the RS, PS and ES families are accepted by default', async () => {
    const algs = ['RS256', 'RS384', 'RS512', 'PS256', 'PS512', 'ES256', 'ES384'];
    const pairs = await Promise.all(algs.map((alg) => generateKeyPair(alg)));
    const keys = await Promise.all(pairs.map(async ({ publicKey }, index) => ({ ...(await exportJWK(publicKey)), kid: algs[index] })));
    const authenticate = createJwtAuthenticator({ jwks: { keys } });
    for (const [index, alg] of algs.entries()) {
      const token = await new SignJWT({ sub: alg }).setProtectedHeader({ alg, kid: alg }).sign(pairs[index]!.privateKey);
      assert.equal((await authenticate(request(token)))?.userIdentifier, alg);
    }
    assert.ok(PUBLIC_KEY_ALGORITHMS.every((alg) => !alg.startsWith('HS') && alg !== 'none'));
  });

  test('HS256 signed with the public key as the HMAC secret is refused (the classic confusion)', async () => {
    const { jwk, publicPem } = await keySet();
    const authenticate = createJwtAuthenticator({ jwks: { keys: [jwk] } });
    for (const secret of [publicPem, JSON.stringify(jwk), String(jwk.n)]) {
      const forged = await new SignJWT({ sub: 'mallory' }).setProtectedHeader({ alg: 'HS256', kid: 'rsa' }).sign(new TextEncoder().encode(secret));
      await assert.rejects(async () => authenticate(request(forged)));
    }
  });

  test('an oct key in the key set does not let HS256 tokens in', async () => {
    const { jwk } = await keySet();
    const octSecret = new TextEncoder().encode(SECRET);
    const oct: JWK = { kty: 'oct', k: Buffer.from(octSecret).toString('base64url'), kid: 'oct' };
    const authenticate = createJwtAuthenticator({ jwks: { keys: [jwk, oct] } });
    const forged = await new SignJWT({ sub: 'mallory' }).setProtectedHeader({ alg: 'HS256', kid: 'oct' }).sign(octSecret);
    await assert.rejects(async () => authenticate(request(forged)), /alg/i);
  });

  test('alg none is refused; an HMAC algorithm or none cannot be configured', async () => {
    const { jwk } = await keySet();
    await assert.rejects(async () => createJwtAuthenticator({ jwks: { keys: [jwk] } })(request(unsecured({ sub: 'mallory' }))));
    for (const algorithms of [['HS256'], ['RS256', 'HS256'], ['none']]) {
      assert.throws(() => createJwtAuthenticator({ jwks: { keys: [jwk] }, algorithms }), /accepts only RS256/);
      assert.throws(() => createJwtAuthenticator({ jwksUrl: 'http://127.0.0.1:1/jwks', algorithms }), /accepts only RS256/);
    }
    assert.throws(() => createJwtAuthenticator({ jwksUrl: 'http://127.0.0.1:1/jwks', jwksCooldown: -1 }), /'jwksCooldown' must be a non-negative integer/);
  });
});
