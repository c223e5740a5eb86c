/**
 * @hubwire/client against a real Hubwire server, with the official client underneath: typed
 * invoke/send/stream, handlers and their unsubscribe, client results, the connection state with
 * transport and protocol, calls made while connecting, and stop().
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpTransportType, Subject } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import type { HubState } from '@hubwire/client';
import { until, within } from '../support/wait.js';
import { clientScope } from './support.js';

const scope = clientScope();

describe('typed calls and handlers', () => {
  it('invokes with typed arguments and results, and sends fire-and-forget', async () => {
    const server = await scope.server();
    const hub = scope.connect(server.url);
    await within(hub.start(), 5000, 'start');
    assert.equal(await hub.invoke.echo('hello'), 'hello');
    assert.equal(await hub.invoke.add(2, 3), 5);
    await assert.rejects(hub.invoke.fail('no such room'), /no such room/);
    const heard: [string, string][] = [];
    hub.on.heard((text, connectionId) => void heard.push([text, connectionId]));
    await hub.send.shout('quiet');
    await until(() => heard.length === 1, 5000, 'heard');
    assert.deepEqual(heard, [['QUIET', hub.connectionId]]);
  });

  it('runs every handler of a method; each unsubscribe removes its own, and a throwing handler costs the others nothing', async () => {
    const server = await scope.server();
    const errors: string[] = [];
    const hub = scope.connect(server.url, { onError: (error, where) => errors.push(`${where}: ${(error as Error).message}`) });
    await within(hub.start(), 5000, 'start');
    const first: string[] = [];
    const second: string[] = [];
    const offFirst = hub.on.heard((text) => void first.push(text));
    hub.on.heard(() => {
      throw new Error('handler broke');
    });
    const offSecond = hub.on.heard((text) => void second.push(text));
    await hub.invoke.shout('a');
    await until(() => second.length === 1, 5000, 'second handler');
    offFirst();
    await hub.invoke.shout('b');
    await until(() => second.length === 2, 5000, 'second handler again');
    offSecond();
    offSecond();
    assert.deepEqual(first, ['A']);
    assert.deepEqual(second, ['A', 'B']);
    assert.deepEqual(errors, ["handler of 'heard': handler broke", "handler of 'heard': handler broke"]);
  });

  it('answers a client-result call from the handler', async () => {
    const server = await scope.server();
    const hub = scope.connect(server.url);
    hub.on.ask((question) => `answer to ${question}`);
    await within(hub.start(), 5000, 'start');
    assert.equal(await hub.invoke.askCaller('life'), 'answer to life');
  });

  it('streams a server method with for-await and with subscribe, and uploads a Subject', async () => {
    const server = await scope.server();
    const hub = scope.connect(server.url);
    await within(hub.start(), 5000, 'start');
    const items: number[] = [];
    for await (const item of hub.stream.counter(4)) items.push(item);
    assert.deepEqual(items, [0, 1, 2, 3]);
    const early: number[] = [];
    for await (const item of hub.stream.counter(1000)) {
      early.push(item);
      if (item === 2) break; // cancels the stream on the server
    }
    assert.deepEqual(early, [0, 1, 2]);
    const subscribed = await within(
      new Promise<number[]>((resolve, reject) => {
        const seen: number[] = [];
        hub.stream.counter(3).subscribe({ next: (item) => seen.push(item), error: reject, complete: () => resolve(seen) });
      }),
      5000,
      'subscribed stream',
    );
    assert.deepEqual(subscribed, [0, 1, 2]);
    const upload = new Subject<number>();
    const total = hub.invoke.sum(upload);
    for (const n of [1, 2, 3]) upload.next(n);
    upload.complete();
    assert.equal(await total, 6);
  });
});

describe('connection state', () => {
  for (const { name, options, transport, protocol } of [
    { name: 'negotiated WebSockets, JSON', options: {}, transport: 'WebSockets', protocol: 'json' },
    { name: 'long polling, MessagePack', options: { transport: HttpTransportType.LongPolling, protocol: new MessagePackHubProtocol() }, transport: 'LongPolling', protocol: 'messagepack' },
    { name: 'Server-Sent Events', options: { transport: HttpTransportType.ServerSentEvents }, transport: 'ServerSentEvents', protocol: 'json' },
    { name: 'WebSockets without negotiate', options: { transport: HttpTransportType.WebSockets, skipNegotiation: true }, transport: 'WebSockets', protocol: 'json' },
  ] as const) {
    it(`goes connecting → connected → disconnected and tells transport and protocol (${name})`, async () => {
      const server = await scope.server();
      const hub = scope.connect(server.url, { ...options, autoStart: false });
      const states: HubState[] = [];
      hub.onStateChange((state) => void states.push(state));
      assert.equal(hub.state, 'disconnected');
      assert.equal(hub.protocol, protocol);
      await within(hub.start(), 5000, 'start');
      assert.equal(hub.state, 'connected');
      assert.equal(hub.transport, transport);
      assert.equal(await hub.invoke.echo('x'), 'x');
      await hub.stop();
      assert.equal(hub.transport, undefined);
      assert.deepEqual(states, ['connecting', 'connected', 'disconnected']);
    });
  }

  it('calls made while connecting wait for the connection; calls on a stopped client reject', async () => {
    const server = await scope.server();
    const hub = scope.connect(server.url, { autoStart: false });
    await assert.rejects(hub.invoke.echo('too early'), /not started/);
    const starting = hub.start();
    assert.equal(hub.state, 'connecting');
    const answer = hub.invoke.add(20, 22);
    const items: number[] = [];
    const streamed = (async () => {
      for await (const item of hub.stream.counter(2)) items.push(item);
    })();
    await within(starting, 5000, 'start');
    assert.equal(await within(answer, 5000, 'invoke made while connecting'), 42);
    await within(streamed, 5000, 'stream opened while connecting');
    assert.deepEqual(items, [0, 1]);
    await within(hub.start(), 100, 'start() while connected');
    await hub.stop();
    await assert.rejects(hub.send.shout('after stop'), /not started/);
  });

  it('an unsubscribed state listener hears nothing more, and stop() can be followed by start()', async () => {
    const server = await scope.server();
    const hub = scope.connect(server.url);
    const heard: HubState[] = [];
    const off = hub.onStateChange((state) => void heard.push(state));
    await within(hub.start(), 5000, 'start');
    off();
    await hub.stop();
    assert.deepEqual(heard, ['connected'], 'the auto-start was already connecting when the listener was added');
    await within(hub.start(), 5000, 'start again');
    assert.equal(await hub.invoke.echo('again'), 'again');
  });
});
