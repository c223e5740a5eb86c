/**
 * The server answers index.html on exactly the paths the web app's router knows, so a reload
 * of any view works and no other path is swallowed by the app.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SPA_AREAS, SPA_PAGES } from '../../apps/server/src/modules/web-app/spa-paths.js';
import { AREAS, APP_PATHS } from '../../apps/web/src/app/paths.js';

test('the server\'s SPA paths are the web app\'s paths', () => {
  assert.deepEqual([...SPA_PAGES, ...SPA_AREAS].sort(), [...APP_PATHS].sort());
  assert.deepEqual([...SPA_AREAS].sort(), AREAS.map((area) => area.path).sort(), 'every area answers below its path too');
});
