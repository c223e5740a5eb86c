/**
 * @hubwire/client in headless Chromium: its sources and @microsoft/signalr bundled by esbuild at
 * test time (as a browser app would ship them), a page that follows a recoverable group, and a
 * server that cuts the page's socket or restarts on the same port. The page reconnects, re-joins
 * from its last position and has every message once, in order: replayed from memory after a cut,
 * from Redis across a restart (same history, same epoch), and after a restart without Redis (a new
 * epoch) the snapshot and `onMissed`. Nothing reaches the console but the official client's own
 * line about the lost connection. Needs /usr/bin/chromium (`.ci/run` installs it).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, test } from 'node:test';
import { build } from 'esbuild';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { createHubServer, Hub, jsonHubProtocol, messagePackHubProtocol, redisLifetimeManager, type GroupPosition, type HubServer, type RecoveryResult, type StreamPosition } from 'hubwire';
import { dropPrefix } from '../cluster/campaigns-support.js';
import { UpgradedSockets } from '../support/e2e.js';
import { within } from '../support/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const HERE = fileURLToPath(new URL('.', import.meta.url));

interface FeedClient {
  tick(value: number, position?: GroupPosition): void;
  snapshot(state: { group: string; offset: number }): void;
}

class FeedHub extends Hub<FeedClient> {
  /** A recovering join; past the history (or in another epoch) the caller gets `snapshot` first. */
  async follow(group: string, since: StreamPosition | null): Promise<RecoveryResult> {
    return this.groups.recover(this.context.connectionId, group, {
      since: since ?? undefined,
      onMissed: async (missed) => this.clients.caller.snapshot({ group, offset: missed.position.offset }),
    });
  }
}

// The page's code is plain JavaScript in a string: functions handed to page.evaluate from a
// TypeScript test would carry the loader's helpers (esbuild's __name) into the browser.
const PAGE_SCRIPT = `
window.follow = function (group, protocol) {
  const state = { log: [], offsets: [], joins: [], errors: [], states: [] };
  let gate = Promise.resolve('');
  let release = () => undefined;
  const hub = hubwire.connectHub('/hubs/feed', {
    logger: hubwire.LogLevel.Warning,
    reconnect: { delays: [0], then: 50, jitter: 0 },
    accessTokenFactory: () => gate,
    onError: (error, where) => { state.errors.push(where + ': ' + (error && error.message)); },
    protocol: protocol === 'messagepack' ? new hubwire.MessagePackHubProtocol() : undefined,
  });
  hub.onStateChange((s) => { state.states.push(s); });
  hub.on.tick((value, position) => { state.log.push('tick ' + value); state.offsets.push(position.offset); });
  hub.on.snapshot((snapshot) => { state.log.push('snapshot ' + snapshot.offset); });
  const subscription = hub.subscribe({
    group,
    join: (since) => hub.invoke.follow(group, since === undefined ? null : since),
    onJoined: (answer, info) => { state.joins.push({ reason: info.reason, since: info.since ? info.since.offset : null, recovered: info.recovered === undefined ? null : info.recovered, replayed: info.replayed }); },
    onMissed: () => { state.log.push('onMissed'); },
  });
  window.feed = {
    hold() { gate = new Promise((resolve) => { release = () => resolve(''); }); },
    release() { release(); },
    read() { return { ...state, state: hub.state, transport: hub.transport, duplicates: subscription.stats.duplicates, gaps: subscription.stats.gaps }; },
    stop() { return hub.stop(); },
  };
  return subscription.joined.then(() => true);
};`;
const PAGE = `<!doctype html><meta charset="utf-8"><title>@hubwire/client recovery</title><script src="/client.js"></script><script>${PAGE_SCRIPT}</script>`;

/** What the page's `feed.read()` answers. */
interface FeedState {
  readonly log: string[];
  readonly offsets: number[];
  readonly joins: { reason: string; since: number | null; recovered: boolean | null; replayed: number }[];
  readonly errors: string[];
  readonly states: string[];
  readonly state: string;
  readonly transport: string | undefined;
  readonly duplicates: number;
  readonly gaps: number;
}

/** The client's sources and @microsoft/signalr (and its MessagePack protocol) as one browser script. */
async function bundle(): Promise<Buffer> {
  const result = await build({
    stdin: {
      contents:
        "import { connectHub } from '@hubwire/client';\n" +
        "import { LogLevel } from '@microsoft/signalr';\n" +
        "import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';\n" +
        'globalThis.hubwire = { connectHub, LogLevel, MessagePackHubProtocol };\n',
      resolveDir: HERE,
      loader: 'js',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    // The client's TypeScript sources, not a dist/ that may be older than them.
    conditions: ['hubwire-source'],
    write: false,
    logLevel: 'silent',
  });
  return Buffer.from(result.outputFiles[0]!.contents);
}

/** A FeedHub server that also serves the page; `close()` frees the port for a restart. */
interface FeedServer {
  readonly hubwire: HubServer;
  readonly port: number;
  readonly sockets: UpgradedSockets;
  publish(group: string, values: readonly number[]): Promise<void>;
  close(): Promise<void>;
}

async function startFeedServer(script: Buffer, port: number, redisPrefix?: string): Promise<FeedServer> {
  const backplane = redisPrefix === undefined ? undefined : redisLifetimeManager({ url: REDIS_URL, prefix: redisPrefix });
  const hubwire = createHubServer({ protocols: [jsonHubProtocol, messagePackHubProtocol], shutdownTimeout: 500, ...(backplane === undefined ? {} : { lifetimeManager: backplane }) });
  hubwire.mapHub('/hubs/feed', FeedHub, { recovery: { groups: [{ match: 'feed:*' }] } });
  await backplane?.ready();
  const http: Server = createServer((req, res) => {
    const body = req.url === '/client.js' ? script : req.url === '/' ? Buffer.from(PAGE) : undefined;
    if (req.url === '/favicon.ico') {
      res.writeHead(204).end(); // Chromium asks for one; a 404 would be a console error
      return;
    }
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': req.url === '/' ? 'text/html' : 'text/javascript' }).end(body);
  });
  hubwire.attach(http);
  const sockets = new UpgradedSockets(http);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', resolve);
  });
  return {
    hubwire,
    port: (http.address() as AddressInfo).port,
    sockets,
    async publish(group, values) {
      for (const value of values) await hubwire.hubContext(FeedHub).clients.group(group).tick(value);
    },
    async close() {
      await within(hubwire.close(), 5000, 'hub server close');
      http.closeAllConnections();
      await within(new Promise<void>((resolve) => http.close(() => resolve())), 5000, 'http close');
    },
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('@hubwire/client in headless Chromium: recovering after a cut socket and a restart', () => {
  let script: Buffer;
  let browser: Browser;
  let server: FeedServer | undefined;
  let page: Page | undefined;
  const prefixes: string[] = [];
  let consoleLines: string[] = [];

  before(async () => {
    // A missing browser fails the suite rather than skipping it: CI installs Debian's chromium.
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is not installed (apt-get install -y chromium)`);
    script = await within(bundle(), 20_000, 'the esbuild bundle');
    browser = await within(chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 }), 35_000, 'Chromium');
  });
  afterEach(async () => {
    await page?.evaluate('window.feed && window.feed.stop()').catch(() => undefined);
    await page?.close().catch(() => undefined);
    page = undefined;
    await server?.close().catch(() => undefined);
    server = undefined;
  });
  after(async () => {
    await within(browser?.close() ?? Promise.resolve(), 10_000, 'Chromium to close').catch(() => undefined);
    for (const prefix of prefixes) await dropPrefix(REDIS_URL, prefix);
  });

  /** A new page on `server` following `group`; console lines and page errors are kept. */
  async function open(group: string, protocol: 'json' | 'messagepack' = 'json'): Promise<Page> {
    consoleLines = [];
    const opened = await browser.newPage();
    page = opened;
    opened.setDefaultTimeout(10_000);
    opened.on('console', (message: ConsoleMessage) => void consoleLines.push(`${message.type()}: ${message.text()}`));
    opened.on('pageerror', (error) => void consoleLines.push(`pageerror: ${error.message}`));
    await opened.goto(`http://127.0.0.1:${server!.port}/`);
    assert.equal(await within(opened.evaluate(`follow(${JSON.stringify(group)}, ${JSON.stringify(protocol)})`), 10_000, 'the page joins'), true);
    return opened;
  }

  const read = (on: Page) => on.evaluate('feed.read()') as Promise<FeedState>;
  const waitFor = (on: Page, expression: string, what: string) => within(on.waitForFunction(expression, undefined, { timeout: 10_000, polling: 20 }), 11_000, what);

  /** The console holds exactly these lines (page errors included), in order. */
  function assertConsole(expected: readonly RegExp[]): void {
    assert.ok(
      consoleLines.length === expected.length && consoleLines.every((line, i) => expected[i]!.test(line)),
      `console: ${JSON.stringify(consoleLines)}`,
    );
  }

  test('a cut socket: the page reconnects and is replayed what was sent meanwhile, then live (MessagePack)', async () => {
    server = await startFeedServer(script, 0);
    const group = `feed:${randomUUID().slice(0, 8)}`;
    const on = await open(group, 'messagepack');
    await server.publish(group, range(1, 3));
    await waitFor(on, 'feed.read().log.length === 3', 'three ticks');

    await on.evaluate('feed.hold()');
    assert.equal(server.sockets.destroyAll(), 1, 'the page had one WebSocket');
    await waitFor(on, "feed.read().state === 'reconnecting'", 'reconnecting');
    await server.publish(group, range(4, 7));
    await on.evaluate('feed.release()');
    await waitFor(on, 'feed.read().joins.length === 2', 'the re-join');
    await server.publish(group, range(8, 9));
    await waitFor(on, 'feed.read().log.length === 9', 'nine ticks');

    const state = await read(on);
    assert.deepEqual(state.log, range(1, 9).map((value) => `tick ${value}`));
    assert.deepEqual(state.offsets, range(1, 9));
    assert.deepEqual(state.joins[1], { reason: 'reconnect', since: 3, recovered: true, replayed: 4 });
    assert.deepEqual(state.states, ['connected', 'reconnecting', 'connected'], "after 'connecting', which the start set before the page listened");
    assert.deepEqual([state.transport, state.duplicates, state.gaps, state.errors], ['WebSockets', 0, 0, []]);
    // The official client's own line for a lost connection (it logs it at Error level); nothing else.
    assertConsole([/^error: .*Connection disconnected with error 'Error: WebSocket closed with status code: 1006/]);
  });

  test('a restart on the same port with Redis: the history outlives the process, the page recovers from it', async () => {
    const prefix = `hubwire-test-${randomUUID()}`;
    prefixes.push(prefix);
    server = await startFeedServer(script, 0, prefix);
    const port = server.port;
    const group = `feed:${randomUUID().slice(0, 8)}`;
    const on = await open(group);
    await server.publish(group, range(1, 2));
    await waitFor(on, 'feed.read().log.length === 2', 'two ticks');

    await on.evaluate('feed.hold()');
    await server.close();
    server = undefined;
    await waitFor(on, "feed.read().state === 'reconnecting'", 'reconnecting after the shutdown');
    server = await startFeedServer(script, port, prefix);
    await server.publish(group, range(3, 5));
    await on.evaluate('feed.release()');
    await waitFor(on, 'feed.read().joins.length === 2', 'the re-join on the new process');
    await server.publish(group, [6]);
    await waitFor(on, 'feed.read().log.length === 6', 'six ticks');

    const state = await read(on);
    assert.deepEqual(state.log, range(1, 6).map((value) => `tick ${value}`));
    assert.deepEqual(state.offsets, range(1, 6));
    assert.deepEqual(state.joins[1], { reason: 'reconnect', since: 2, recovered: true, replayed: 3 });
    assert.deepEqual([state.duplicates, state.gaps, state.errors], [0, 0, []]);
    assertConsole([]); // a shutdown's Close allows reconnecting: no error to log
  });

  test('a restart without Redis: a new epoch, so the snapshot and onMissed first, then live', async () => {
    server = await startFeedServer(script, 0);
    const port = server.port;
    const group = `feed:${randomUUID().slice(0, 8)}`;
    const on = await open(group);
    await server.publish(group, range(1, 2));
    await waitFor(on, 'feed.read().log.length === 2', 'two ticks');

    await on.evaluate('feed.hold()');
    await server.close();
    server = undefined;
    await waitFor(on, "feed.read().state === 'reconnecting'", 'reconnecting after the shutdown');
    server = await startFeedServer(script, port);
    await server.publish(group, [10, 11]);
    await on.evaluate('feed.release()');
    await waitFor(on, 'feed.read().joins.length === 2', 'the re-join');
    await server.publish(group, [12]);
    await waitFor(on, "feed.read().log.includes('tick 12')", 'the live tick');

    const state = await read(on);
    assert.deepEqual(state.log, ['tick 1', 'tick 2', 'snapshot 2', 'onMissed', 'tick 12'], 'the new history (10, 11) is the snapshot, not a replay');
    assert.deepEqual(state.offsets, [1, 2, 3]);
    assert.deepEqual(state.joins[1], { reason: 'reconnect', since: 2, recovered: false, replayed: 0 });
    assert.deepEqual([state.duplicates, state.gaps, state.errors], [0, 0, []]);
    assertConsole([]); // a shutdown's Close allows reconnecting: no error to log
  });
});
