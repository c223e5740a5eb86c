#!/usr/bin/env node
// The packaging test (npm run test:package): what a user gets from `npm install hubwire`.
// It builds from clean (deleting each workspace's dist/ first, so no stale file is packed),
// checks that every workspace declares what its build imports, packs each publishable workspace,
// installs the tarballs into a new project under os.tmpdir() (outside the repository, so no
// hoisted node_modules can hide a missing dependency), and there: imports the library from ESM,
// require()s it from CommonJS, type-checks TypeScript users of it with skipLibCheck off
// (nodenext, bundler, node10), and runs a hub the official client talks to. @hubwire/client is
// checked there too: imported from plain ESM against the packed hubwire (a typed-proxy call and a
// recoverable subscription over a real connection), and type-checked as a Node user (nodenext)
// and as a browser app (bundler, DOM lib, no Node types), both with skipLibCheck off.
// One PASS/FAIL line per check, then "N passed, N failed"; exits 1 on any failure.
// `--keep` leaves the temporary project in place to look at.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { undeclaredImports } from './package-test/imports.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./package-test/fixture/', import.meta.url));
const KEEP = process.argv.includes('--keep');
const SECOND = 1000;

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const rootManifest = readJson(join(ROOT, 'package.json'));
const workspaces = rootManifest.workspaces.map((dir) => ({ dir: join(ROOT, dir), manifest: readJson(join(ROOT, dir, 'package.json')) }));
// A private workspace (the server app) is a program run from the repository, never published.
const publishable = workspaces.filter((workspace) => workspace.manifest.private !== true);
// The temporary project gets the client and compiler versions the repository tests with.
const devRange = (name) => `${name}@${rootManifest.devDependencies[name]}`;

// npm itself, also when this script runs outside `npm run`.
const NPM = /npm-cli\.c?js$/.test(process.env.npm_execpath ?? '') ? [process.execPath, process.env.npm_execpath] : ['npm'];
// Children must not inherit what would make them resolve through the repository: the calling
// npm's package context, a NODE_PATH, or NODE_OPTIONS such as --conditions=hubwire-source.
const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) => !/^(npm_package_|npm_lifecycle_|npm_config_local_prefix$|npm_config_workspace|npm_command$|INIT_CWD$|NODE_PATH$|NODE_OPTIONS$)/.test(key),
  ),
);

const results = [];
const children = new Set();

/** Runs a command to completion, killing it after `timeout` ms. Resolves with its output and how long it took. */
function run(command, args, cwd, timeout) {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout);
    const finish = (why, ok = false) => {
      clearTimeout(timer);
      children.delete(child);
      done({ ok, why, stdout, stderr, output: `${stdout}${stderr}`.trim(), seconds: (Date.now() - started) / SECOND });
    };
    child.on('error', (error) => finish(error.message));
    child.on('close', (code, signal) => finish(timedOut ? `timed out after ${timeout / SECOND}s` : `exit code ${code ?? signal}`, code === 0 && !timedOut));
  });
}

const npm = (args, cwd, timeout) => run(NPM[0], [...NPM.slice(1), ...args], cwd, timeout);
const node = (args, cwd, timeout) => run(process.execPath, args, cwd, timeout);

/**
 * Records one check. `body` returns (or resolves to) a detail string or a run's result; it throws
 * on failure. What a failing command printed is shown under the FAIL line.
 */
async function check(name, body) {
  const started = Date.now();
  let ok = false;
  let detail;
  let output = '';
  let seconds = null;
  try {
    const value = await body();
    if (value && typeof value === 'object') {
      seconds = value.seconds ?? null;
      ok = value.ok;
      detail = value.ok ? (value.detail ?? '') : value.why;
      output = value.ok ? '' : value.output;
    } else {
      ok = true;
      detail = value ?? '';
    }
  } catch (error) {
    detail = error instanceof Error ? error.message : String(error);
  }
  results.push(ok);
  const took = (seconds ?? (Date.now() - started) / SECOND).toFixed(1);
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name} (${took}s)${detail ? ` — ${detail}` : ''}`);
  if (output) console.log(output.split('\n').slice(-40).map((line) => `      ${line}`).join('\n'));
  return ok;
}

/** A command's run as a check result that also insists on a silent stderr (a warning is a user-visible defect). */
function quiet(result, detail) {
  if (!result.ok) return result;
  if (result.stderr.trim() !== '') return { ...result, ok: false, why: 'printed to stderr', output: result.stderr.trim() };
  return { ...result, detail: detail ?? result.stdout.trim().split('\n').at(-1) };
}

function filesUnder(dir, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue; // dependencies npm nested under the package, not its files
    const path = join(dir, entry.name);
    if (entry.isDirectory()) filesUnder(path, found);
    else found.push(path);
  }
  return found;
}

/** Every path string in an `exports` value, whatever its nesting of conditions. */
const exportTargets = (value) => (typeof value === 'string' ? [value] : value && typeof value === 'object' ? Object.values(value).flatMap(exportTargets) : []);

/** What a user unpacks: README, LICENSE, declarations beside the JavaScript, maps that resolve, no tests. */
function checkContents(installed, manifest) {
  const files = filesUnder(installed).map((path) => relative(installed, path).split(sep).join('/'));
  const has = new Set(files);
  const problems = [];
  for (const required of ['README.md', 'LICENSE', 'package.json']) if (!has.has(required)) problems.push(`no ${required}`);
  if (has.has('LICENSE') && readFileSync(join(installed, 'LICENSE'), 'utf8') !== readFileSync(join(ROOT, 'LICENSE'), 'utf8')) {
    problems.push('LICENSE differs from the repository LICENSE');
  }
  for (const field of ['main', 'types']) if (typeof manifest[field] !== 'string') problems.push(`no top-level "${field}" for older resolvers`);
  for (const target of [manifest.main, manifest.types, ...exportTargets(manifest.exports)].filter(Boolean)) {
    if (!has.has(target.replace(/^\.\//, ''))) problems.push(`"${target}" named in package.json is missing`);
  }
  for (const file of files) {
    if (/\.test\.|\.tsbuildinfo$/.test(file)) problems.push(`ships ${file}`);
    if (/\.(m|c)?js$/.test(file) && !has.has(file.replace(/\.(m|c)?js$/, '.d.$1ts'))) problems.push(`${file} has no declaration file`);
    if (/\.(m|c)?js$|\.d\.(m|c)?ts$/.test(file)) {
      const mapUrl = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(installed, file), 'utf8'))?.[1];
      if (mapUrl && !mapUrl.startsWith('data:') && !has.has(join(dirname(file), mapUrl).split(sep).join('/'))) problems.push(`${file} points to a missing ${mapUrl}`);
    }
    if (file.endsWith('.map')) {
      const map = readJson(join(installed, file));
      for (const source of map.sources) {
        const path = relative(installed, resolve(installed, dirname(file), map.sourceRoot ?? '', source)).split(sep).join('/');
        if (!has.has(path)) problems.push(`${file} maps to ${source}, which is not in the package`);
      }
    }
  }
  if (problems.length > 0) throw new Error(`${problems.length} problem(s): ${problems.slice(0, 8).join('; ')}`);
  const maps = files.filter((file) => file.endsWith('.map')).length;
  return `${files.length} files, README, LICENSE, a .d.ts for every .js, ${maps} source maps resolve`;
}

/** A node_modules in a parent folder would let a missing dependency resolve by accident. */
function assertNothingToLeanOn(project) {
  if (!relative(ROOT, project).startsWith('..')) throw new Error(`${project} is inside the repository`);
  for (let dir = dirname(project); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) throw new Error(`${join(dir, 'node_modules')} exists above the project`);
    if (dirname(dir) === dir) break;
  }
}

async function main(temp) {
  const packs = join(temp, 'packs');
  const project = join(temp, 'project');
  mkdirSync(packs);

  const built = await check('build from clean', () => {
    for (const { dir } of workspaces) {
      rmSync(join(dir, 'dist'), { recursive: true, force: true });
      for (const file of readdirSync(dir)) if (file.endsWith('.tsbuildinfo')) rmSync(join(dir, file));
    }
    return npm(['run', 'build', '--silent'], ROOT, 120 * SECOND);
  });
  if (!built) return;

  for (const { dir, manifest } of workspaces) {
    await check(`${manifest.name}: dependencies declare everything dist/ imports`, () => {
      const problems = undeclaredImports(dir);
      if (problems.length > 0) throw new Error(`not in package.json dependencies: ${problems.join('; ')}`);
      return `${Object.keys(manifest.dependencies ?? {}).length} dependencies`;
    });
  }

  const tarballs = [];
  for (const { manifest } of publishable) {
    const packed = await check(`npm pack ${manifest.name}`, async () => {
      const result = await npm(['pack', `--workspace=${manifest.name}`, `--pack-destination=${packs}`, '--json'], ROOT, 60 * SECOND);
      if (!result.ok) return result;
      const [info] = JSON.parse(result.stdout.slice(result.stdout.indexOf('[')));
      tarballs.push(join(packs, info.filename));
      return { ...result, detail: `${info.filename}, ${(info.size / 1024).toFixed(0)} kB packed, ${info.entryCount} files` };
    });
    if (!packed) return;
  }

  const installed = await check('install the tarballs in a new project outside the repository', async () => {
    mkdirSync(project);
    assertNothingToLeanOn(project);
    cpSync(FIXTURE, project, { recursive: true });
    writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'hubwire-package-test', private: true, type: 'module' }, null, 2)}\n`);
    // uWebSockets.js as a user brings it for attachUws (hubwire does not depend on it).
    const packages = [...tarballs, devRange('@microsoft/signalr'), devRange('typescript'), devRange('@trufflesuite/uws-js-unofficial')];
    const result = await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', ...packages], project, 150 * SECOND);
    return result.ok ? { ...result, detail: `${project}: ${packages.map((spec) => (spec.startsWith(sep) ? basename(spec) : spec)).join(', ')}` } : result;
  });
  if (!installed) return;

  for (const { manifest } of publishable) {
    await check(`${manifest.name}: package contents`, () => checkContents(join(project, 'node_modules', manifest.name), manifest));
  }

  // These only read the project, so they run side by side; each reports its own time.
  const tsc = (config) => node([join('node_modules', 'typescript', 'bin', 'tsc'), '-p', config], project, 90 * SECOND);
  const runs = {
    esm: node(['esm.mjs'], project, 30 * SECOND),
    cjs: node(['cjs.cjs'], project, 30 * SECOND),
    nodenext: tsc('tsconfig.nodenext.json'),
    bundler: tsc('tsconfig.bundler.json'),
    node10: tsc('tsconfig.node10.json'),
    server: node(['server.mjs'], project, 30 * SECOND),
    uws: node(['uws.mjs'], project, 30 * SECOND),
    client: node(['client.mjs'], project, 30 * SECOND),
    clientNodenext: tsc('tsconfig.client.nodenext.json'),
    clientBrowser: tsc('tsconfig.client.bundler.json'),
  };
  await check('import from plain JavaScript ESM', async () => quiet(await runs.esm));
  await check('require() from CommonJS', async () => quiet(await runs.cjs));
  await check('TypeScript, moduleResolution nodenext (ESM and CommonJS files), skipLibCheck off', async () => quiet(await runs.nodenext, 'no errors'));
  await check('TypeScript, moduleResolution bundler, skipLibCheck off', async () => quiet(await runs.bundler, 'no errors'));
  await check('TypeScript, moduleResolution node10 (top-level "types"), skipLibCheck off', async () => quiet(await runs.node10, 'no errors'));
  await check('a hub in plain JavaScript; the official client connects over WebSockets and invokes it', async () => {
    const result = await runs.server;
    if (result.ok && !/^listening on http:\/\/127\.0\.0\.1:\d+$/m.test(result.stdout)) return { ...result, ok: false, why: 'no "listening on" line' };
    return quiet(result);
  });
  await check("attachUws on the user's own uWebSockets.js: the official client over WebSockets and long polling", async () => quiet(await runs.uws));
  await check('@hubwire/client from plain JavaScript ESM: a typed-proxy call and a recoverable subscription against the packed hubwire', async () => quiet(await runs.client));
  await check('@hubwire/client typed proxies, moduleResolution nodenext, skipLibCheck off', async () => quiet(await runs.clientNodenext, 'no errors'));
  await check('@hubwire/client in a browser app: moduleResolution bundler, DOM lib, no Node types, skipLibCheck off', async () => quiet(await runs.clientBrowser, 'no errors'));
  // Last, because it changes the project: the user's @types/node now satisfies the package's.
  await check(`TypeScript nodenext beside the user's own ${devRange('@types/node')}`, async () => {
    const added = await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', '--save-dev', devRange('@types/node')], project, 60 * SECOND);
    if (!added.ok) return added;
    const result = quiet(await tsc('tsconfig.nodenext.json'), 'no errors');
    return { ...result, seconds: added.seconds + result.seconds };
  });
}

const temp = mkdtempSync(join(tmpdir(), 'hubwire-package-'));
const cleanUp = () => {
  if (!KEEP) rmSync(temp, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    cleanUp();
    process.exit(130);
  });
}
console.log(`== packaging test in ${temp}: node ${process.version}, ${publishable.map((w) => w.manifest.name).join(', ')} publishable; ${workspaces.filter((w) => w.manifest.private === true).map((w) => w.manifest.name).join(', ')} private (checked, not packed)`);
try {
  await main(temp);
} catch (error) {
  await check('packaging test itself', () => {
    throw error;
  });
} finally {
  cleanUp();
}
const failed = results.filter((ok) => !ok).length;
console.log(`${results.length - failed} passed, ${failed} failed${KEEP ? ` (kept ${temp})` : ''}`);
process.exit(failed === 0 ? 0 : 1);
