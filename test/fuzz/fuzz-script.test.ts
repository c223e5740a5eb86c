/**
 * `npm run fuzz` (scripts/fuzz.ts) itself: a clean run exits 0; a failing property saves its
 * input and exits 1 with a replay command that reproduces it; a hanging one is stopped by the
 * watchdog, its input saved; `--replay` runs a saved input through every parser.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PLANTED = 'test/fuzz/fixtures/planted-properties.ts';

/** Runs the fuzz script with `args`; resolves with its exit code and output (killed after `ms`). */
function fuzz(args: string[], ms = 30_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=hubwire-source', '--import', 'tsx', 'scripts/fuzz.ts', ...args], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fuzz ${args.join(' ')} did not exit within ${ms} ms:\n${out}`));
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

// Each test runs its own fuzz process (and crash directory), so they run side by side.
describe('npm run fuzz', { concurrency: true }, () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const crashDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubwire-fuzz-'));
    dirs.push(dir);
    return dir;
  };
  const saved = (dir: string, kind: string) => readdirSync(dir).filter((name) => name.startsWith(kind) && name.endsWith('.bin'));

  test('a clean run prints its seed and exits 0', async () => {
    const crashes = crashDir();
    const { code, out } = await fuzz(['--time', '0', '--runs', '20', '--only', 'handshake:', '--crashes', crashes]);
    assert.equal(code, 0, out);
    assert.match(out, /master seed -?\d+/u);
    assert.match(out, /no failure in \d+ round\(s\)/u);
    assert.deepEqual(readdirSync(crashes), []);
  });

  test('a failing property saves the input, exits 1, and its replay command fails the same way', async () => {
    const crashes = crashDir();
    const { code, out } = await fuzz(['--properties', PLANTED, '--only', 'planted: fails', '--time', '5', '--crashes', crashes]);
    assert.equal(code, 1, out);
    assert.match(out, /planted failure/u);
    const [file] = saved(crashes, 'failure-planted');
    assert.ok(file !== undefined, `no input saved:\n${out}`);
    assert.ok(readFileSync(join(crashes, file)).includes(0x42), 'the saved input is the failing one');
    const record = JSON.parse(readFileSync(join(crashes, file.replace(/\.bin$/u, '.json')), 'utf8')) as { seed: number; path: string; property: string };
    assert.equal(record.property, 'planted: fails on 0x42');
    const replay = await fuzz(['--properties', PLANTED, '--only', record.property, '--seed', String(record.seed), '--path', record.path, '--crashes', crashes]);
    assert.equal(replay.code, 1, replay.out);
    assert.match(replay.out, /planted failure/u);
  });

  test('a property that never returns is stopped by the watchdog and its input saved', async () => {
    const crashes = crashDir();
    const { code, out } = await fuzz(['--properties', PLANTED, '--only', 'planted: hangs', '--time', '20', '--hang', '1', '--crashes', crashes]);
    assert.equal(code, 1, out);
    assert.match(out, /HANG {2}planted: hangs on 0x42/u);
    const [file] = saved(crashes, 'hang-planted');
    assert.ok(file !== undefined, `no input saved:\n${out}`);
    assert.ok(readFileSync(join(crashes, file)).includes(0x42), 'the saved input is the one that hung');
  });

  test('--replay reads a saved input with every parser', async () => {
    const { code, out } = await fuzz(['--replay', 'fuzz/corpus/msgpack/valid-client-session.bin']);
    assert.equal(code, 0, out);
    assert.match(out, /ok {4}msgpack parse \(maxSize 32768\): 13 message\(s\), consumed 111\/111/u);
    assert.match(out, /ok {4}json parse/u);
    assert.match(out, /ok {4}handshake acceptor/u);
  });
});
