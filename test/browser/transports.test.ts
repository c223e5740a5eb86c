/**
 * The official browser bundles of @microsoft/signalr and @microsoft/signalr-protocol-msgpack in
 * headless Chromium, talking to Hubwire over WebSockets, Server-Sent Events and long polling,
 * with JSON and MessagePack: invoke, send, broadcasts, both streaming directions, client results.
 * Needs /usr/bin/chromium (`.ci/run` installs the Debian package).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createHubServer, Hub, jsonHubProtocol, messagePackHubProtocol, type HubServer } from 'hubwire';
import { within } from '../support/wait.js';

const require = createRequire(import.meta.url);
const SIGNALR = readFileSync(require.resolve('@microsoft/signalr/dist/browser/signalr.min.js'));
const MSGPACK = readFileSync(require.resolve('@microsoft/signalr-protocol-msgpack/dist/browser/signalr-protocol-msgpack.min.js'));
// The scenario lives in the page as plain JavaScript: functions passed to page.evaluate from a
// TypeScript test would carry the loader's helpers (esbuild's __name) into the browser.
const SCENARIO = `
window.runScenario = async function (transport, protocol) {
  let builder = new signalR.HubConnectionBuilder()
    .withUrl('/hubs/browser', { transport: signalR.HttpTransportType[transport] })
    .configureLogging(signalR.LogLevel.None);
  if (protocol === 'messagepack') builder = builder.withHubProtocol(new signalR.protocols.msgpack.MessagePackHubProtocol());
  const connection = builder.build();
  const shouts = [];
  connection.on('shout', (text) => { shouts.push(text); });
  connection.on('GetName', () => 'chromium');
  await connection.start();
  try {
    const echoed = await connection.invoke('Echo', { n: 1, list: ['a', null] });
    const where = await connection.invoke('Transport');
    await connection.send('Shout', 'fire-and-forget');
    await connection.invoke('Shout', 'awaited');
    const streamed = await new Promise((resolve, reject) => {
      const items = [];
      connection.stream('Counter', 5).subscribe({ next: (i) => items.push(i), complete: () => resolve(items), error: reject });
    });
    const subject = new signalR.Subject();
    const summing = connection.invoke('Sum', subject);
    for (const n of [1, 2, 3, 4]) subject.next(n);
    subject.complete();
    const sum = await summing;
    const name = await connection.invoke('AskName');
    const bytes = protocol === 'messagepack' ? await connection.invoke('ByteLength', new Uint8Array([1, 2, 3])) : 3;
    return { echoed, where, shouts, streamed, sum, name, bytes, id: connection.connectionId !== null };
  } finally {
    await connection.stop();
  }
};`;
const PAGE = `<!doctype html><meta charset="utf-8"><title>hubwire browser test</title><script src="/signalr.js"></script><script src="/msgpack.js"></script><script>${SCENARIO}</script>`;
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

class BrowserHub extends Hub {
  echo(value: unknown) {
    return value;
  }
  async shout(text: string) {
    await this.clients.all.send('shout', text);
  }
  async *counter(count: number) {
    for (let i = 0; i < count; i++) yield i;
  }
  async sum(numbers: AsyncIterable<number>) {
    let total = 0;
    for await (const n of numbers) total += n;
    return total;
  }
  byteLength(bytes: Uint8Array) {
    return bytes.length;
  }
  async askName() {
    return this.clients.caller.invoke<string>('GetName');
  }
  transport() {
    return `${this.context.transport}/${this.context.protocol}`;
  }
}

describe('official browser client in headless Chromium', () => {
  let hubwire: HubServer;
  let http: Server;
  let origin: string;
  let browser: Browser;
  let page: Page;

  before(async () => {
    hubwire = createHubServer({ protocols: [jsonHubProtocol, messagePackHubProtocol], shutdownTimeout: 1000 });
    hubwire.mapHub('/hubs/browser', BrowserHub);
    http = createServer((req, res) => {
      const body = req.url === '/signalr.js' ? SIGNALR : req.url === '/msgpack.js' ? MSGPACK : req.url === '/' ? Buffer.from(PAGE) : undefined;
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': req.url === '/' ? 'text/html' : 'text/javascript' }).end(body);
    });
    hubwire.attach(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    browser = await within(chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS, timeout: 30_000 }), 35_000, 'Chromium');
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${origin}/`);
  });

  after(async () => {
    await within(browser?.close() ?? Promise.resolve(), 10_000, 'Chromium to close').catch(() => undefined);
    await hubwire.close();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  const cases = [
    ['WebSockets', 'json'],
    ['WebSockets', 'messagepack'],
    ['ServerSentEvents', 'json'],
    ['LongPolling', 'json'],
    ['LongPolling', 'messagepack'],
  ] as const;

  for (const [transport, protocol] of cases) {
    test(`${transport} + ${protocol}: invoke, send, broadcast, streams both ways, client results`, async () => {
      const result = await within(
        page.evaluate(([transport, protocol]) => (window as unknown as { runScenario(t: string, p: string): Promise<unknown> }).runScenario(transport, protocol), [transport, protocol] as const),
        30_000,
        `${transport}/${protocol} scenario`,
      );
      assert.deepEqual(result, {
        echoed: { n: 1, list: ['a', null] },
        where: `${transport}/${protocol}`,
        shouts: ['fire-and-forget', 'awaited'],
        streamed: [0, 1, 2, 3, 4],
        sum: 10,
        name: 'chromium',
        bytes: 3,
        id: true,
      });
    });
  }
});
