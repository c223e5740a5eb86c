import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { routeClientEndpoint } from './client-endpoint.js';

const PATHS = ['/hubs/events', '/hubs/Orders'];

function route(url: string): { route: string; url: string | undefined } {
  const req = { url } as IncomingMessage;
  return { route: routeClientEndpoint(req, PATHS), url: req.url };
}

test('Azure client URLs reach the hub of that name, query kept', () => {
  assert.deepEqual(route('/client/?hub=orders&id=abc'), { route: 'rewritten', url: '/hubs/Orders?hub=orders&id=abc' });
  assert.deepEqual(route('/client/negotiate?hub=ORDERS&negotiateVersion=1'), { route: 'rewritten', url: '/hubs/Orders/negotiate?hub=ORDERS&negotiateVersion=1' });
  assert.deepEqual(route('/Client?Hub=events'), { route: 'rewritten', url: '/hubs/events?Hub=events' });
});

test('an unknown or missing hub is not found; other paths are left alone', () => {
  assert.equal(route('/client/?hub=nope').route, 'not-found');
  assert.equal(route('/client/negotiate').route, 'not-found');
  assert.equal(route('/client/?hub=').route, 'not-found');
  assert.deepEqual(route('/hubs/events/negotiate'), { route: 'not-client', url: '/hubs/events/negotiate' });
  assert.deepEqual(route('/clients/?hub=events'), { route: 'not-client', url: '/clients/?hub=events' });
  assert.equal(route('/client/other?hub=events').route, 'not-client');
});
