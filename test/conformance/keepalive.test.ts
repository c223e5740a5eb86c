/**
 * Conformance: server keep-alive pings and the client timeout, driven by a FakeClock.
 * Reference: signalr-protocol.md §11.1-§11.3, §15.5 (K1-K3).
 *
 * The heartbeat runs on the clock's setInterval every 1000 ms, so time is advanced one second at
 * a time. Frames the heartbeat sends are written synchronously during `advance`, so reading the
 * next message right after advancing sees them. "Nothing was sent" is proven by making the server
 * write a marker (a broadcast) and checking it is the very next message.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HubOptions, HubServerOptions } from 'hubwire';
import { FakeClock } from '../support/fake-clock.js';
import { JsonStream, PING_TEXT, framed, roundTrip } from '../support/json-stream.js';
import { RawClient } from '../support/raw-client.js';
import { until, within } from '../support/wait.js';
import { CLOSE_WITH_ERROR, invocation, openJson, startConformanceServer, type ConformanceServer } from './fixtures.js';

const MARKER = '{"type":1,"target":"marker","arguments":[]}';

interface Setup {
  readonly clock: FakeClock;
  readonly server: ConformanceServer;
  readonly stream: JsonStream;
  /** Advances the clock by `seconds` heartbeat ticks. */
  seconds(seconds: number): void;
  /** Makes the server write a marker to every client. */
  marker(): Promise<void>;
  /** A blocking invocation whose Completion must be the next non-Ping message. */
  call(invocationId: string): Promise<void>;
}

/** Runs `body` against a fresh server on a FakeClock with one handshaken client; cleans up. */
async function withClock(body: (setup: Setup) => Promise<void>, options: HubServerOptions = {}, hubOptions: HubOptions = {}): Promise<void> {
  const clock = new FakeClock();
  const server = await startConformanceServer({ clock, ...options }, hubOptions);
  let stream: JsonStream | undefined;
  try {
    stream = await openJson(server.hubWs());
    const current = stream;
    const setup: Setup = {
      clock,
      server,
      stream: current,
      seconds(seconds) {
        for (let i = 0; i < seconds; i++) clock.advance(1000);
      },
      marker: () => within(server.hubwire.hubContext('/hub').clients.all.send('marker'), 5000, 'the marker broadcast'),
      async call(invocationId) {
        current.send(framed(invocation('add', [1, 1], invocationId)));
        assert.equal(await current.nextNonPing(), `{"type":3,"invocationId":"${invocationId}","result":2}`);
      },
    };
    // The Completion proves the connection is fully connected (heartbeat-ticked) from here on.
    await setup.call('ready');
    await body(setup);
  } finally {
    stream?.client.close();
    await server.close();
  }
}

describe('server keep-alive (FakeClock)', () => {
  test('K1: no Ping before keepAliveInterval (15 s) without writes', async () => {
    await withClock(async ({ seconds, marker, stream }) => {
      seconds(14);
      await marker();
      assert.equal(await stream.next(), MARKER);
    });
  });

  test('K1: a Ping {"type":6} arrives within 16 s of the last write', async () => {
    await withClock(async ({ seconds, stream }) => {
      seconds(16);
      assert.equal(await stream.next(), PING_TEXT);
    });
  });

  test('K1: an idle connection gets one Ping in every 16 s window, and nothing else', async () => {
    await withClock(async ({ seconds, stream }) => {
      for (let window = 0; window < 4; window++) {
        seconds(16);
        assert.equal(await stream.next(), PING_TEXT, `window ${window}`);
      }
      // Nothing else was queued behind the pings: the next message is this call's Completion.
      stream.send(framed(invocation('add', [1, 1], 'after')));
      assert.equal(await stream.next(), '{"type":3,"invocationId":"after","result":2}');
    });
  });

  test('no Ping while the server keeps writing (it pings only a connection it wrote nothing to; §11.2 allows either)', async () => {
    await withClock(async ({ seconds, marker, stream }) => {
      for (let i = 0; i < 8; i++) {
        seconds(5);
        await marker();
        assert.equal(await stream.next(), MARKER, `after ${(i + 1) * 5} s`);
      }
      seconds(16);
      assert.equal(await stream.next(), PING_TEXT);
    });
  });

  test('client traffic alone does not hold back the Ping', async () => {
    await withClock(async ({ seconds, stream }) => {
      for (let i = 0; i < 3; i++) {
        stream.send(framed(invocation('record', [`tick-${i}`])));
        await roundTrip(stream.client);
        seconds(5);
      }
      seconds(1);
      assert.equal(await stream.next(), PING_TEXT);
    });
  });

  test('a custom keepAliveInterval (server-wide) is honoured', async () => {
    await withClock(
      async ({ seconds, marker, stream }) => {
        seconds(4);
        await marker();
        assert.equal(await stream.next(), MARKER);
        seconds(6);
        assert.equal(await stream.next(), PING_TEXT);
      },
      { keepAliveInterval: 5_000 },
    );
  });

  test('no Ping before the handshake completes', async () => {
    const clock = new FakeClock();
    const server = await startConformanceServer({ clock, keepAliveInterval: 2_000 });
    const stream = new JsonStream(await RawClient.connect(server.hubWs()));
    try {
      for (let i = 0; i < 10; i++) clock.advance(1000);
      stream.send(framed('{"protocol":"json","version":1}'));
      assert.equal(await stream.next(), '{}');
    } finally {
      stream.client.close();
      await server.close();
    }
  });
});

describe('client timeout (FakeClock)', () => {
  /** Sends a Ping and waits until the server has it, arming the client timeout. */
  async function ping(stream: JsonStream): Promise<void> {
    stream.send(framed(PING_TEXT));
    await roundTrip(stream.client);
  }

  test('K2: after one Ping then silence, Close(err, allowReconnect) comes after 30 s (±1 s), then close 1000', async () => {
    await withClock(async ({ seconds, marker, stream, server }) => {
      await ping(stream);
      seconds(29);
      await marker();
      assert.equal(await stream.nextNonPing(), MARKER, 'still connected after 29 s');
      seconds(2);
      assert.equal(await stream.nextNonPing(), CLOSE_WITH_ERROR);
      assert.equal(await stream.closed(), 1000);
      await until(() => server.state.disconnects.length === 1, 5000, 'onDisconnected');
      assert.ok(server.state.disconnects[0] instanceof Error, 'a timeout is an abnormal end');
    });
  });

  test('K2: with detailed errors the Close names the timeout', async () => {
    await withClock(
      async ({ seconds, stream }) => {
        await ping(stream);
        seconds(31);
        assert.equal(
          await stream.nextNonPing(),
          JSON.stringify({
            type: 7,
            error:
              "Connection closed with an error. OperationCanceledException: Client hasn't sent a message/ping within the configured ClientTimeoutInterval.",
            allowReconnect: true,
          }),
        );
        assert.equal(await stream.closed(), 1000);
      },
      { enableDetailedErrors: true },
    );
  });

  test('K2: any message from the client restarts the timeout; a client pinging every 15 s stays', async () => {
    await withClock(async ({ seconds, stream, call }) => {
      await ping(stream);
      for (let i = 0; i < 6; i++) {
        seconds(15);
        await ping(stream);
      }
      seconds(20);
      stream.send(framed(invocation('record', ['still-here'])));
      await roundTrip(stream.client);
      seconds(29);
      await call('alive');
    });
  });

  test('K3: a client that never pings is not timed out (ASP parity)', async () => {
    await withClock(async ({ seconds, call }) => {
      seconds(65);
      await call('late');
      seconds(95);
      await call('later');
    });
  });

  test('a custom clientTimeoutInterval (per hub) is honoured', async () => {
    await withClock(
      async ({ seconds, marker, stream }) => {
        await ping(stream);
        seconds(9);
        await marker();
        assert.equal(await stream.nextNonPing(), MARKER, 'still connected after 9 s');
        seconds(2);
        assert.equal(await stream.nextNonPing(), CLOSE_WITH_ERROR);
        assert.equal(await stream.closed(), 1000);
      },
      {},
      { clientTimeoutInterval: 10_000 },
    );
  });
});
