import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../config.js';
import { checkServerlessHubNames, serverlessHubPath } from './index.js';

const refused = (names: string[], paths: string[] = []) =>
  assert.throws(() => checkServerlessHubNames(names, paths), (error: Error) => error instanceof ConfigError && /SERVERLESS_HUBS/.test(error.message));

test('a serverless hub may not take a code hub\'s name, a mapped hub\'s, or the same name twice (any case)', () => {
  checkServerlessHubNames(['notes', 'orders'], ['/hubs/chat', '/hubs/probe']);
  for (const name of ['events', 'Admin', 'CHAT', 'campaigns', 'synaxis']) refused([name]);
  refused(['Probe'], ['/hubs/probe']);
  refused(['notes', 'Notes']);
});

test('a serverless hub is mapped at /hubs/{name}, lower-cased', () => {
  assert.equal(serverlessHubPath('Notes'), '/hubs/notes');
});
