import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { clientAccessToken, clientUrl, serviceNegotiation } from './service-tokens.js';

const KEY = 'an-access-key-for-the-service-token-tests-0123456789';
const secret = (key: string) => new TextEncoder().encode(key);
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

describe('clientAccessToken', () => {
  test('signs HS256 with aud, iat, nbf, exp and the user id in asrs.s.uid and nameid, beside the extra claims', async () => {
    const audience = 'http://127.0.0.1:8080/client/?hub=chat';
    const token = await clientAccessToken({ accessKey: KEY, audience, userId: 'jane', claims: { role: ['admin'], org: 'acme' }, now: () => NOW });
    assert.equal(decodeProtectedHeader(token).alg, 'HS256');
    const { payload } = await jwtVerify(token, secret(KEY), { audience, currentDate: new Date(NOW) });
    assert.equal(payload.aud, audience);
    assert.equal(payload.iat, NOW / 1000);
    assert.equal(payload.nbf, NOW / 1000);
    assert.equal(payload.exp, NOW / 1000 + 3600);
    assert.equal(payload['asrs.s.uid'], 'jane');
    assert.equal(payload['nameid'], 'jane');
    assert.deepEqual(payload['role'], ['admin']);
    assert.equal(payload['org'], 'acme');
  });

  test('lifetimeSeconds sets exp; the token is refused once it has passed', async () => {
    const audience = 'http://h/client/?hub=chat';
    const token = await clientAccessToken({ accessKey: KEY, audience, lifetimeSeconds: 60, now: () => NOW });
    const { payload } = await jwtVerify(token, secret(KEY), { currentDate: new Date(NOW + 59_000) });
    assert.equal(payload.exp, NOW / 1000 + 60);
    assert.equal(payload['asrs.s.uid'], undefined, 'no user id claim without a userId');
    await assert.rejects(jwtVerify(token, secret(KEY), { currentDate: new Date(NOW + 61_000) }), { code: 'ERR_JWT_EXPIRED' });
  });

  test('a token signed with one key does not verify with another', async () => {
    const token = await clientAccessToken({ accessKey: KEY, audience: 'http://h/client/?hub=chat' });
    await assert.rejects(jwtVerify(token, secret(`${KEY}-other`)), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });

  test('refuses an empty key or audience, a bad lifetime and extra claims that would replace aud or the times', async () => {
    const base = { accessKey: KEY, audience: 'http://h/client/?hub=chat' };
    await assert.rejects(clientAccessToken({ ...base, accessKey: '' }), { code: 'HUB_ERR_INVALID_OPTION' });
    await assert.rejects(clientAccessToken({ ...base, audience: '' }), { code: 'HUB_ERR_INVALID_OPTION' });
    await assert.rejects(clientAccessToken({ ...base, lifetimeSeconds: 0 }), { code: 'HUB_ERR_INVALID_OPTION' });
    for (const name of ['aud', 'exp', 'nbf', 'iat']) {
      await assert.rejects(clientAccessToken({ ...base, claims: { [name]: 1 } }), (error: Error) => error.message.includes(`'${name}'`));
    }
  });

  test('an error never names the access key', async () => {
    await assert.rejects(clientAccessToken({ accessKey: KEY, audience: 'x', lifetimeSeconds: -1 }), (error: Error) => !error.message.includes(KEY));
  });
});

describe('serviceNegotiation', () => {
  test('answers the client URL of the hub and a token whose aud is that URL', async () => {
    const { url, accessToken } = await serviceNegotiation({ endpoint: 'http://127.0.0.1:8080/', hub: 'Chat', accessKey: KEY, userId: 'ann', now: () => NOW });
    assert.equal(url, 'http://127.0.0.1:8080/client/?hub=Chat');
    const { payload } = await jwtVerify(accessToken, secret(KEY), { audience: url, currentDate: new Date(NOW) });
    assert.equal(payload['asrs.s.uid'], 'ann');
    assert.equal(payload.exp, NOW / 1000 + 3600);
  });

  test('the endpoint keeps its path, loses trailing slashes; the hub name is percent-encoded', () => {
    assert.equal(clientUrl('https://h.example/realtime//', 'a b&c'), 'https://h.example/realtime/client/?hub=a%20b%26c');
    assert.equal(clientUrl('http://h:5000', 'chat'), 'http://h:5000/client/?hub=chat');
    assert.throws(() => clientUrl('h:5000', 'chat'), { code: 'HUB_ERR_INVALID_OPTION' });
    assert.throws(() => clientUrl('http://h', ''), { code: 'HUB_ERR_INVALID_OPTION' });
  });
});
