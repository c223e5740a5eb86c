/**
 * A server for hostile-traffic tests: a hub with every kind of method (plain, streaming, upload,
 * client result), a logger that records what the library reports at `error` (an internal
 * failure: a handler or a write that threw), and "canary" connections of the official client,
 * opened before the traffic, that must keep answering through it and after it.
 * @module
 */
import { Hub, createJwtAuthenticator, jsonHubProtocol, messagePackHubProtocol, type Logger } from 'hubwire';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { clientFor, signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { within } from '../support/wait.js';

/** The hub the hostile traffic talks to. */
export class FuzzHub extends Hub {
  add(a: number, b: number): number {
    return a + b;
  }

  echo(value: unknown): unknown {
    return value;
  }

  async later(value: unknown): Promise<unknown> {
    await new Promise((resolve) => setImmediate(resolve));
    return value;
  }

  async *count(n: number): AsyncGenerator<number> {
    for (let i = 0; i < Math.min(Number(n) || 0, 5); i++) yield i;
  }

  async upload(items: AsyncIterable<unknown>): Promise<number> {
    let seen = 0;
    for await (const _ of items) if (++seen >= 20) break;
    return seen;
  }

  /** A client result: raw clients rarely answer, so the hub's clientResultTimeout ends it. */
  async ask(): Promise<unknown> {
    return await this.clients.caller.invoke('question', 1);
  }

  fail(): never {
    throw new Error('fuzz');
  }
}

/** Every `error` the library logged: an internal failure, never expected from hostile input. */
export interface ErrorLog {
  readonly errors: { message: string; fields: Record<string, unknown> }[];
}

function recordingLogger(log: ErrorLog): Logger {
  const noop = (): void => undefined;
  return { debug: noop, info: noop, warn: noop, error: (fields, message) => void log.errors.push({ message, fields }) };
}

/** The JWT secret of the `/auth` hub's authenticator (requests with other tokens get 401). */
const SECRET = 'hubwire-fuzz-secret-long-enough-for-hs256';

/**
 * The fuzz server: `/hub` (every transport, JSON and MessagePack, stateful reconnect allowed),
 * `/auth` (requires a user) and `/lp` (long polling only). Long polls are held only 300 ms so a
 * poll that the traffic leaves pending answers quickly, and a stateful-reconnect connection
 * whose socket was dropped waits 2 s for its client.
 */
export async function startFuzzServer(): Promise<TestServer & ErrorLog> {
  const log: ErrorLog = { errors: [] };
  const hubOptions = { longPollingPollTimeout: 300, disconnectTimeout: 2000, clientResultTimeout: 500, protocols: [jsonHubProtocol, messagePackHubProtocol] };
  const server = await startTestServer(
    (hubwire) => {
      hubwire.mapHub('/hub', FuzzHub, { ...hubOptions, allowStatefulReconnects: true });
      hubwire.mapHub('/auth', FuzzHub, { ...hubOptions, authorize: true });
      hubwire.mapHub('/lp', FuzzHub, { ...hubOptions, transports: ['LongPolling'] });
    },
    { logger: recordingLogger(log), authenticate: createJwtAuthenticator({ secret: SECRET, issuer: 'hubwire-fuzz' }) },
  );
  return Object.assign(server, log);
}

/** Official clients on `/hub`, one per transport plus one over MessagePack, that must keep working. */
export class Canaries {
  readonly connections: signalR.HubConnection[];
  #round = 0;

  private constructor(connections: signalR.HubConnection[]) {
    this.connections = connections;
  }

  static async open(server: TestServer): Promise<Canaries> {
    const url = server.url('/hub');
    const { WebSockets, ServerSentEvents, LongPolling } = signalR.HttpTransportType;
    const builders = [
      clientFor(url, { transport: WebSockets }),
      clientFor(url, { transport: ServerSentEvents }),
      clientFor(url, { transport: LongPolling }),
      clientFor(url, { transport: WebSockets }).withHubProtocol(new MessagePackHubProtocol()),
    ];
    const connections = builders.map((builder) => builder.build());
    for (const connection of connections) connection.on('question', () => 'canary');
    await within(Promise.all(connections.map((connection) => connection.start())), 10_000, 'the canaries to start');
    return new Canaries(connections);
  }

  /** Every canary is still connected and answers an invocation with the right result. */
  async check(what: string): Promise<void> {
    const round = ++this.#round;
    await within(
      Promise.all(
        this.connections.map(async (connection, i) => {
          if (connection.state !== signalR.HubConnectionState.Connected) throw new Error(`canary ${i} is ${connection.state} ${what}`);
          const sum = await connection.invoke<number>('add', round, i);
          if (sum !== round + i) throw new Error(`canary ${i} got ${sum} for add(${round}, ${i}) ${what}`);
        }),
      ),
      10_000,
      `the canaries to answer ${what}`,
    );
  }

  async stop(): Promise<void> {
    await within(Promise.all(this.connections.map((connection) => connection.stop())), 10_000, 'the canaries to stop');
  }
}
