import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import type { ConnectionRequestInfo } from 'hubwire';
import { clientAudienceMatches, clientTokenAuthenticator, ClientTokenError } from './client-token.js';

const KEY = 'primary-key-0123456789';
const SECOND = 'secondary-key-0123456789';
const NOW = 1_800_000_000_000;

function sign(claims: Record<string, unknown>, options: { key?: string; aud?: string; expiresIn?: number; alg?: string } = {}): Promise<string> {
  const at = Math.floor(NOW / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setAudience(options.aud ?? 'https://signalr.example.com/client/?hub=chat')
    .setIssuedAt(at)
    .setExpirationTime(at + (options.expiresIn ?? 600))
    .sign(new TextEncoder().encode(options.key ?? KEY));
}

function request(token: string | undefined, where: 'header' | 'query' = 'header'): ConnectionRequestInfo {
  const query = new URLSearchParams(where === 'query' && token !== undefined ? { access_token: token } : {});
  return { headers: where === 'header' && token !== undefined ? { authorization: `Bearer ${token}` } : {}, query, cookies: {}, remoteAddress: '127.0.0.1' };
}

const authenticate = clientTokenAuthenticator({ hub: 'Chat', accessKeys: [KEY, SECOND], now: () => NOW });

test('a client token signed with either access key, aud naming the hub: the user from asrs.s.uid, roles from role/roles', async () => {
  const user = await authenticate(request(await sign({ 'asrs.s.uid': 'jane', nameid: 'other', role: 'admin', roles: ['ops'] })));
  assert.equal(user?.userIdentifier, 'jane');
  assert.deepEqual(user?.roles, ['admin', 'ops']);
  const second = await authenticate(request(await sign({ nameid: 'john' }, { key: SECOND }), 'query'));
  assert.equal(second?.userIdentifier, 'john');
});

test('the user id falls back from asrs.s.uid to nameid, the NameIdentifier URI, then sub', async () => {
  const uri = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier';
  assert.equal((await authenticate(request(await sign({ [uri]: 'long', sub: 's' }))))?.userIdentifier, 'long');
  assert.equal((await authenticate(request(await sign({ sub: 's' }))))?.userIdentifier, 's');
  assert.equal((await authenticate(request(await sign({}))))?.userIdentifier, undefined);
});

test('refused: no token, expired, another key, aud of another hub or another path; the token is never in the error', async () => {
  const refused = async (token: string | undefined, text: RegExp) => {
    const error = (await authenticate(request(token)).then(
      () => assert.fail('accepted'),
      (caught: unknown) => caught,
    )) as Error;
    assert.ok(error instanceof ClientTokenError, String(error));
    assert.match(error.message, text);
    if (token !== undefined) assert.ok(!error.message.includes(token));
  };
  await refused(undefined, /required/);
  await refused(await sign({}, { expiresIn: -60 }), /expired/);
  await refused(await sign({}, { key: 'another-key-0123456789' }), /not signed/);
  await refused(await sign({}, { aud: 'https://signalr.example.com/client/?hub=news' }), /audience/);
  await refused(await sign({}, { aud: 'https://signalr.example.com/api/hubs/chat' }), /audience/);
  await refused('not-a-jwt.at.all', /not a valid JWT/);
});

test('a token no access key signed goes to the fallback (the app\'s own user tokens)', async () => {
  const withFallback = clientTokenAuthenticator({ hub: 'chat', accessKeys: [KEY], now: () => NOW, fallback: () => ({ userIdentifier: 'from-app', claims: {} }) });
  assert.equal((await withFallback(request(await sign({}, { key: 'the-app-jwt-secret-0123456789' }))))?.userIdentifier, 'from-app');
  // Signed with an access key but for another hub: refused, not handed on.
  await assert.rejects(withFallback(request(await sign({}, { aud: 'https://x/client/?hub=news' }))), ClientTokenError);
});

test('the audience: path /client/ and the hub query, case-insensitive; origin not compared', () => {
  assert.ok(clientAudienceMatches('https://a.example.com/client/?hub=Chat', 'chat'));
  assert.ok(clientAudienceMatches('http://other:8080/CLIENT?HUB=chat&asrs.op=x', 'chat'));
  assert.ok(!clientAudienceMatches('https://a/client/?hub=chat2', 'chat'));
  assert.ok(!clientAudienceMatches('https://a/client/negotiate?hub=chat', 'chat'));
  assert.ok(!clientAudienceMatches('not a url', 'chat'));
});
