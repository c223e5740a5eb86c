#!/usr/bin/env node
// Runs the tests: the web app's component tests with Vitest (apps/web), then every *.test.ts
// under packages/, apps/ (but apps/web) and test/ with Node's test runner, TypeScript loaded by
// tsx and the library resolved from source (the "hubwire-source" export condition). Node 20's
// --test takes no globs, so the files are listed here.
//
// Arguments filter by path substring: `node scripts/run-tests.mjs test/web` runs the matching
// Node files only; a filter starting with apps/web (or naming no Node file but matching
// "apps/web/") runs Vitest, passing the rest of the path on as its filter.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const roots = ['packages', 'apps', 'test'];
const WEB = 'apps/web';
const filter = process.argv.slice(2);

function walk(dir, found) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    // The web app's tests need a DOM and JSX: Vitest runs them.
    if (relative(root, path) === WEB) continue;
    if (entry.isDirectory()) walk(path, found);
    else if (entry.name.endsWith('.test.ts')) found.push(relative(root, path));
  }
  return found;
}

const files = roots
  .flatMap((dir) => walk(join(root, dir), []))
  .filter((file) => filter.length === 0 || filter.some((part) => file.includes(part)))
  .sort();

// Which filters are for the web app: "apps/web…" ones, and those that are part of "apps/web/".
const webFilters = filter.filter((part) => part.startsWith(WEB) || (`${WEB}/`.includes(part) && !files.some((file) => file.includes(part))));
const runWeb = filter.length === 0 || webFilters.length > 0;

if (files.length === 0 && !runWeb) {
  console.error('no test files matched');
  process.exit(1);
}

let failed = false;
if (runWeb) {
  // Vitest first, so the Node runner's summary closes the output.
  const vitestFilters = webFilters.map((part) => part.slice(WEB.length).replace(/^\//, '')).filter((part) => part !== '');
  const vitest = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...vitestFilters], { cwd: join(root, WEB), stdio: 'inherit' });
  failed = vitest.status !== 0;
}
if (files.length > 0) {
  const result = spawnSync(
    process.execPath,
    ['--conditions=hubwire-source', '--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=60000', ...files],
    { cwd: root, stdio: 'inherit' },
  );
  failed ||= result.status !== 0;
}
process.exit(failed ? 1 : 0);
