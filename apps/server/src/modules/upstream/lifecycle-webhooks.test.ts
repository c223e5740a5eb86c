import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HubLifetimeContext } from 'hubwire';
import { lifecycleWebhooks } from './lifecycle-webhooks.js';
import type { UpstreamCategory, UpstreamEvent, WebhookDispatcher } from './upstream-types.js';

/** A dispatcher that wants everything and records what is queued. */
function recording() {
  const queued: { event: UpstreamEvent; body: Readonly<Record<string, unknown>> }[] = [];
  const dispatcher: WebhookDispatcher = {
    enqueue: (event, body) => void queued.push({ event, body }),
    wants: (_hub: string, _category: UpstreamCategory, _event: string) => true,
    deadLetters: () => [],
    close: () => Promise.resolve(),
  };
  return { dispatcher, queued };
}

function lifetime(hubPath: string, connectionId: string): HubLifetimeContext {
  const context = {
    connectionId,
    userIdentifier: 'jane',
    user: { claims: { sub: 'jane' } },
    items: new Map(),
    request: { query: new URLSearchParams('room=1&access_token=t') },
  };
  return { hub: {} as HubLifetimeContext['hub'], hubPath, context: context as unknown as HubLifetimeContext['context'] };
}

const done = () => Promise.resolve();
const summary = (queued: ReturnType<typeof recording>['queued']) => queued.map(({ event, body }) => [event.connection.hub, `${event.category}/${event.event}`, event.connection.connectionId, body]);

test('connect, group changes (hub named by its path, facts kept from the connect) and disconnect with its error', async () => {
  const { dispatcher, queued } = recording();
  const filter = lifecycleWebhooks({ dispatcher });
  const ctx = lifetime('/hubs/Chat', 'c1');
  await filter.onConnected!(ctx, done);
  filter.onGroupChange({ hubPath: '/hubs/Chat', hubName: 'ChatHub', connectionId: 'c1', userIdentifier: 'jane', group: 'g', change: 'joined' });
  filter.onGroupChange({ hubPath: '/hubs/Chat', hubName: 'ChatHub', connectionId: 'c1', group: 'g', change: 'left' });
  await filter.onDisconnected!(ctx, new Error('Server timeout elapsed'), done);
  assert.deepEqual(summary(queued), [
    ['chat', 'connections/connected', 'c1', {}],
    ['chat', 'groups/joined', 'c1', { group: 'g' }],
    ['chat', 'groups/left', 'c1', { group: 'g' }],
    ['chat', 'connections/disconnected', 'c1', { Error: 'Server timeout elapsed' }],
  ]);
  assert.deepEqual(queued[2]!.event.connection, { hub: 'chat', connectionId: 'c1', userId: 'jane', claims: [{ type: 'sub', value: 'jane' }], query: 'room=1' });
});

test('serverless hubs: no connection events from here (they send their own), group events still', async () => {
  const { dispatcher, queued } = recording();
  const filter = lifecycleWebhooks({ dispatcher, skipHubs: ['Notes'] });
  const ctx = lifetime('/hubs/notes', 'c2');
  await filter.onConnected!(ctx, done);
  filter.onGroupChange({ hubPath: '/hubs/notes', connectionId: 'c2', group: 'g', change: 'joined' });
  await filter.onDisconnected!(ctx, undefined, done);
  assert.deepEqual(summary(queued), [['notes', 'groups/joined', 'c2', { group: 'g' }]]);
});

test('a connect the hub refused is not announced, nor its disconnect; a failing disconnect hook still is', async () => {
  const { dispatcher, queued } = recording();
  const filter = lifecycleWebhooks({ dispatcher });
  const refused = lifetime('/hubs/chat', 'c3');
  await assert.rejects(filter.onConnected!(refused, () => Promise.reject(new Error('no'))));
  await filter.onDisconnected!(refused, undefined, done);
  assert.deepEqual(queued, []);
  const ctx = lifetime('/hubs/chat', 'c4');
  await filter.onConnected!(ctx, done);
  await assert.rejects(filter.onDisconnected!(ctx, undefined, () => Promise.reject(new Error('hub threw'))));
  assert.deepEqual(summary(queued), [['chat', 'connections/connected', 'c4', {}], ['chat', 'connections/disconnected', 'c4', { Error: '' }]]);
});
