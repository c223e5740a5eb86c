import assert from 'node:assert/strict';
import { test } from 'node:test';
import { disabledPresence } from '../index.js';

test('disabledPresence (exported for lifetime managers of one\'s own) rejects every question with HUB_ERR_PRESENCE_DISABLED and the reason', async () => {
  const presence = disabledPresence('No presence here.');
  const questions = [
    presence.groupConnections('g'),
    presence.groupConnectionCount('g'),
    presence.groupUsers('g'),
    presence.groupUserCount('g'),
    presence.groups(),
    presence.groupCount(),
    presence.userConnections('u'),
    presence.isUserOnline('u'),
    presence.connectionCount(),
    presence.nodes(),
  ];
  for (const question of questions) await assert.rejects(question, { code: 'HUB_ERR_PRESENCE_DISABLED', message: 'No presence here.' });
});
