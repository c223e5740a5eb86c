import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifySignature } from './signature.js';
import { connectionFacts, headerSafe, upstreamHeaders } from './upstream-headers.js';

test('connectionFacts: claims as pairs (arrays spread, non-strings as JSON), query without access_token and id', () => {
  const facts = connectionFacts(
    {
      connectionId: 'c1',
      userIdentifier: 'alice',
      user: { claims: { sub: 'alice', roles: ['admin', 'ops'], exp: 123, nested: { a: 1 }, gone: undefined } },
      request: { query: new URLSearchParams('id=secret-token&access_token=jwt&room=a b&hub=chat') },
    },
    'chat',
  );
  assert.deepEqual(facts, {
    hub: 'chat',
    connectionId: 'c1',
    userId: 'alice',
    claims: [
      { type: 'sub', value: 'alice' },
      { type: 'roles', value: 'admin' },
      { type: 'roles', value: 'ops' },
      { type: 'exp', value: '123' },
      { type: 'nested', value: '{"a":1}' },
    ],
    query: 'room=a+b&hub=chat',
  });
  const anonymous = connectionFacts({ connectionId: 'c2', userIdentifier: undefined, user: undefined, request: { query: new URLSearchParams() } }, 'chat');
  assert.deepEqual(anonymous, { hub: 'chat', connectionId: 'c2', claims: [], query: '' });
});

test('upstreamHeaders: every X-ASRS header, a signature that verifies with either key', () => {
  const connection = { hub: 'chat', connectionId: 'c1', userId: 'alice@example.com', claims: [{ type: 'sub', value: 'alice' }, { type: 'name', value: 'A, B=C' }], query: 'room=1' };
  const headers = upstreamHeaders({ category: 'connections', event: 'connected', connection }, ['k1', 'k2']);
  assert.equal(headers['X-ASRS-Connection-Id'], 'c1');
  assert.equal(headers['X-ASRS-Hub'], 'chat');
  assert.equal(headers['X-ASRS-Category'], 'connections');
  assert.equal(headers['X-ASRS-Event'], 'connected');
  assert.equal(headers['X-ASRS-User-Id'], 'alice@example.com');
  assert.equal(headers['X-ASRS-User-Claims'], 'sub= alice, name= A%2C B%3DC');
  assert.equal(headers['X-ASRS-Client-Query'], 'room=1');
  assert.equal(verifySignature(headers['X-ASRS-Signature'], 'c1', ['k2']), true);
  // Azure's own parser (split on ',', then on '= ') reads the claims back.
  const parsed = headers['X-ASRS-User-Claims']!.split(',').map((pair) => pair.split('= ').map((part) => decodeURIComponent(part.trim())));
  assert.deepEqual(parsed, [['sub', 'alice'], ['name', 'A, B=C']]);
});

test('upstreamHeaders leaves out the user, claims and query a connection does not have, and the signature without keys', () => {
  const headers = upstreamHeaders({ category: 'groups', event: 'joined', connection: { hub: 'chat', connectionId: 'c1', claims: [], query: '' } }, []);
  assert.deepEqual(Object.keys(headers).sort(), ['X-ASRS-Category', 'X-ASRS-Connection-Id', 'X-ASRS-Event', 'X-ASRS-Hub']);
});

test('headerSafe: a value any header can carry, reversed by decodeURIComponent', () => {
  for (const value of ['plain', 'Zoë 😀', 'a%41', 'tab\there\r\nnew', 'x,y=z']) {
    const safe = headerSafe(value, true);
    assert.match(safe, /^[\x20-\x7e]*$/);
    assert.equal(decodeURIComponent(safe), value);
    assert.doesNotThrow(() => new Headers({ v: safe }));
  }
  assert.equal(headerSafe('a,b=c', false), 'a,b=c');
  assert.equal(decodeURIComponent(headerSafe('\ud800x', false)), '\ufffdx');
});
