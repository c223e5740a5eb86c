import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authorize } from './authorization.js';

const admin = { userIdentifier: 'a', roles: ['admin'], claims: {} };
const member = { userIdentifier: 'm', roles: ['member'], claims: { org: 'acme' } };

test('no requirement allows anyone', async () => {
  assert.equal(await authorize(undefined, undefined), 'allowed');
});

test('any requirement needs a user', async () => {
  assert.equal(await authorize(true, undefined), 'unauthenticated');
  assert.equal(await authorize({ roles: ['admin'] }, undefined), 'unauthenticated');
  assert.equal(await authorize(true, member), 'allowed');
});

test('roles: any of them is enough', async () => {
  assert.equal(await authorize({ roles: ['admin', 'ops'] }, admin), 'allowed');
  assert.equal(await authorize({ roles: ['admin'] }, member), 'forbidden');
});

test('policies run after roles and may be async', async () => {
  const policy = async (user: { claims: Record<string, unknown> }) => user.claims['org'] === 'acme';
  assert.equal(await authorize({ policy }, member), 'allowed');
  assert.equal(await authorize({ policy }, admin), 'forbidden');
  assert.equal(await authorize({ roles: ['admin'], policy }, member), 'forbidden');
});
