import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { signConnectionId, verifySignature } from './signature.js';

const hex = (key: string, id: string) => createHmac('sha256', key).update(id).digest('hex');

test('one sha256=<hex> per key, in order, comma-separated', () => {
  assert.equal(signConnectionId('conn-1', ['k1']), `sha256=${hex('k1', 'conn-1')}`);
  assert.equal(signConnectionId('conn-1', ['k1', 'k2']), `sha256=${hex('k1', 'conn-1')},sha256=${hex('k2', 'conn-1')}`);
  assert.equal(signConnectionId('conn-1', []), '');
});

test('verifySignature accepts a header signed with any one of the keys (rotation), hex in either case', () => {
  const header = signConnectionId('conn-1', ['old', 'new']);
  assert.equal(verifySignature(header, 'conn-1', ['new']), true);
  assert.equal(verifySignature(header, 'conn-1', ['old']), true);
  assert.equal(verifySignature(header.toUpperCase().replace(/SHA256=/g, 'sha256='), 'conn-1', ['new']), true);
  assert.equal(verifySignature(` sha256=${hex('x', 'c')} , junk`, 'c', ['x']), true);
});

test('verifySignature refuses another key, another connection id, a malformed or missing header', () => {
  const header = signConnectionId('conn-1', ['k1']);
  assert.equal(verifySignature(header, 'conn-2', ['k1']), false);
  assert.equal(verifySignature(header, 'conn-1', ['k2']), false);
  assert.equal(verifySignature(header, 'conn-1', []), false);
  assert.equal(verifySignature(undefined, 'conn-1', ['k1']), false);
  assert.equal(verifySignature(header, undefined, ['k1']), false);
  assert.equal(verifySignature('sha256=abc', 'conn-1', ['k1']), false);
  assert.equal(verifySignature(`sha1=${hex('k1', 'conn-1')}`, 'conn-1', ['k1']), false);
});
