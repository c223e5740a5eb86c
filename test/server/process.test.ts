/**
 * The server as a process: start-up line (JSON on stdout, one human line on stderr), SIGTERM/SIGINT
 * graceful exit 0, configuration errors exit 2 naming the setting, a port in use exits 1 naming
 * PORT. Runs main.ts from source (as `npm run dev` does).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { onceCallback } from '../support/e2e.js';
import { clientFor } from '../support/signalr-client.js';
import { within } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'apps/server/src/main.ts');

interface Running {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];
after(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function run(env: Record<string, string>, args: string[] = []): Running {
  const child = spawn(process.execPath, ['--conditions=hubwire-source', '--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', EVENTS_ENABLED: 'false', SYNAXIS_ENABLED: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => stdout.push(...chunk.split('\n').filter((line) => line !== '')));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return { child, stdout, stderr, exited };
}

/** The parsed start-up line ("hubwire server listening"), bounded. */
async function startupLine(running: Running): Promise<{ url: string; port: number; config: { file: string | null } }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    for (const line of running.stdout) {
      const entry = JSON.parse(line) as { msg: string };
      if (entry.msg === 'hubwire server listening') return entry as never;
    }
    if (running.child.exitCode !== null) throw new Error(`server exited ${running.child.exitCode}: ${running.stderr.join('')}`);
    if (Date.now() > deadline) throw new Error(`no start-up line; stdout: ${running.stdout.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves once `running` wrote a line to stderr that matches `pattern` (bounded). */
async function stderrLine(running: Running, pattern: RegExp, ms = 10_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = running.stderr.join('').split('\n').find((line) => pattern.test(line));
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no stderr line matching ${pattern}; stderr: ${running.stderr.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the server process', () => {
  test('started, it tells people on stderr where to open the demo; stdout holds JSON lines only', async () => {
    const server = run({ PORT: '0' });
    const { url, port } = await startupLine(server);
    assert.equal(url, `http://127.0.0.1:${port}`);
    const line = await stderrLine(server, /^Hubwire is running/);
    assert.match(line, new RegExp(`^Hubwire is running: open http://127\\.0\\.0\\.1:${port}/ for the web app \\(live events, the admin dashboard, chat, campaigns, organizations\\); log in as admin / demo `));
    assert.match(line, /jane\.smith, john\.doe/);
    for (const hub of ['/hubs/events', '/hubs/admin', '/hubs/chat', '/hubs/campaigns', '/hubs/synaxis']) assert.ok(line.includes(hub), hub);
    const page = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
    assert.equal(page.status, 200, 'the page the line points to is there');
    await page.arrayBuffer();
    server.child.kill('SIGTERM');
    const { code } = await within(server.exited, 10_000, 'exit');
    assert.equal(code, 0);
    assert.deepEqual(server.stderr.join('').trimEnd().split('\n'), [line], 'stderr holds that one line');
    for (const entry of server.stdout) assert.doesNotThrow(() => JSON.parse(entry), `a JSON log line: ${entry}`);
  });

  test('a port already in use: exit code 1 and one line naming PORT and the port, no stack trace', async () => {
    const taken = createServer();
    await new Promise<void>((resolve, reject) => {
      taken.once('error', reject);
      taken.listen(0, '127.0.0.1', () => resolve());
    });
    try {
      const port = (taken.address() as { port: number }).port;
      const server = run({ PORT: String(port) });
      const { code } = await within(server.exited, 15_000, 'exit');
      assert.equal(code, 1);
      const stderr = server.stderr.join('');
      assert.deepEqual(stderr.trimEnd().split('\n'), [
        `hubwire: cannot start: port ${port} on 127.0.0.1 is already in use. Set PORT to a free port (PORT=0 picks one) or stop the program using it.`,
      ]);
      const entries = server.stdout.map((entry) => JSON.parse(entry) as Record<string, unknown>);
      const fatal = entries.find((entry) => entry['msg'] === 'could not start');
      assert.deepEqual({ code: fatal?.['code'], port: fatal?.['port'], host: fatal?.['host'] }, { code: 'EADDRINUSE', port, host: '127.0.0.1' });
      assert.ok(!server.stdout.join('\n').includes('    at '), 'no stack trace in the log');
      assert.ok(!entries.some((entry) => entry['msg'] === 'hubwire server listening'));
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  test('SIGTERM: clients get a Close with allowReconnect, the process exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubwire-'));
    try {
      const file = join(dir, 'config.json');
      writeFileSync(file, JSON.stringify({ port: 5000, shutdownTimeoutMs: 2000 }));
      const server = run({ PORT: '0' }, ['--config', file]);
      const { url, port, config } = await startupLine(server);
      assert.ok(port > 0 && port !== 5000, 'PORT from the environment wins over the file');
      assert.equal(config.file, file);
      const connection = clientFor(`${url}/hubs/events`).withAutomaticReconnect([60_000]).build();
      await within(connection.start(), 5000, 'client start');
      try {
        const reconnecting = onceCallback<[Error | undefined]>((callback) => connection.onreconnecting(callback), 10_000, 'onreconnecting');
        server.child.kill('SIGTERM');
        await reconnecting;
        const { code } = await within(server.exited, 10_000, 'exit');
        assert.equal(code, 0, server.stderr.join(''));
        const messages = server.stdout.map((line) => (JSON.parse(line) as { msg: string }).msg);
        for (const expected of ['signal received', 'shutting down', 'client disconnected', 'stopped']) assert.ok(messages.includes(expected), expected);
      } finally {
        await within(connection.stop(), 5000, 'client stop');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('SIGINT exits 0 too', async () => {
    const server = run({ PORT: '0' });
    await startupLine(server);
    server.child.kill('SIGINT');
    const { code, signal } = await within(server.exited, 10_000, 'exit');
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, `stderr: ${server.stderr.join('')}\nstdout: ${server.stdout.slice(-5).join('\n')}`);
  });

  test('a bad setting stops the start with exit code 2 and a message naming it', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: 'eighty' }, /PORT must be an integer from 0 to 65535; got 'eighty'/],
      [{ PORT: '0', EVENTS_MIN_DELAY_MS: '9000' }, /EVENTS_MIN_DELAY_MS .* must not exceed EVENTS_MAX_DELAY_MS/],
      [{ PORT: '0', HOST: '0.0.0.0' }, /HOST '0\.0\.0\.0' is not a loopback address.*ALLOW_NON_LOOPBACK=true/],
    ];
    await Promise.all(
      cases.map(async ([env, message]) => {
        const server = run(env);
        const { code } = await within(server.exited, 15_000, 'exit');
        assert.equal(code, 2);
        assert.match(server.stderr.join(''), message);
        assert.equal(server.stdout.length, 0, 'nothing started');
      }),
    );
  });
});
