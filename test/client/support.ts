/**
 * Shared by the @hubwire/client tests: a hub with typed methods of every kind (plain, streaming,
 * upload, client result, a recovering join), a server that can be closed and started again on
 * the same port, and a scope that stops every client and server a test started.
 * @module
 */
import { after } from 'node:test';
import { LogLevel } from '@microsoft/signalr';
import { connectHub, type GroupPosition, type HubClient, type HubClientOptions, type StreamPosition } from '@hubwire/client';
import { createHubServer, Hub, HubError, jsonHubProtocol, messagePackHubProtocol, type HubServer, type RecoveryOptions, type RecoveryResult } from 'hubwire';
import { within } from '../support/wait.js';

/** The client methods DemoHub calls. */
export interface DemoClient {
  heard(text: string, connectionId: string): void;
  /** A client result: the server waits for the answer. */
  ask(question: string): string;
  tick(value: number, position?: GroupPosition): void;
  snapshot(state: { group: string; offset: number }): void;
}

/** `room:*` keeps the default window; `small:*` three entries, to reach the snapshot path. */
export const DEMO_RECOVERY: RecoveryOptions = { groups: [{ match: 'room:*' }, { match: 'small:*', maxCount: 3 }] };

export class DemoHub extends Hub<DemoClient> {
  echo(text: string): string {
    return text;
  }

  add(a: number, b: number): number {
    return a + b;
  }

  async shout(text: string): Promise<void> {
    await this.clients.caller.heard(text.toUpperCase(), this.context.connectionId);
  }

  fail(text: string): never {
    throw new HubError(text);
  }

  async *counter(count: number): AsyncGenerator<number> {
    for (let i = 0; i < count && !this.invocation.signal.aborted; i++) yield i;
  }

  async sum(numbers: AsyncIterable<number>): Promise<number> {
    let total = 0;
    for await (const n of numbers) total += n;
    return total;
  }

  async askCaller(question: string): Promise<string> {
    return this.clients.caller.invoke<string>('ask', question, AbortSignal.timeout(5000));
  }

  /** The bearer token the connection came with (header or `access_token` query). */
  token(): string | null {
    const header = this.context.request.headers['authorization'];
    if (typeof header === 'string') return header.replace(/^Bearer /, '');
    return this.context.request.query.get('access_token');
  }

  /** A recovering join of a recoverable group; its snapshot hook sends `snapshot` to the caller first. */
  async follow(group: string, since: StreamPosition | null): Promise<RecoveryResult> {
    return this.groups.recover(this.context.connectionId, group, {
      since: since ?? undefined,
      onMissed: async (missed) => {
        await this.clients.caller.snapshot({ group, offset: missed.position.offset });
      },
    });
  }

  async leave(group: string): Promise<void> {
    await this.groups.remove(this.context.connectionId, group);
  }

  /** Sends the caller a message carrying a position argument of its choice (a duplicate or a jump, as a broken relay might). */
  async replayAt(value: number, position: GroupPosition): Promise<void> {
    await this.clients.caller.tick(value, position);
  }
}

/** A DemoHub server on 127.0.0.1 (`port` 0: a free one), JSON and MessagePack, {@link DEMO_RECOVERY}, stateful reconnect allowed. */
export interface DemoServer {
  readonly hubwire: HubServer;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startDemoServer(port = 0): Promise<DemoServer> {
  const hubwire = createHubServer({ shutdownTimeout: 500 });
  hubwire.mapHub('/hubs/demo', DemoHub, { protocols: [jsonHubProtocol, messagePackHubProtocol], recovery: DEMO_RECOVERY, allowStatefulReconnects: true });
  const address = await hubwire.listen({ port, host: '127.0.0.1' });
  return {
    hubwire,
    port: address.port,
    url: `http://127.0.0.1:${address.port}/hubs/demo`,
    close: () => within(hubwire.close(), 5000, 'server close'),
  };
}

/** Sends `values` to `group` through the hub context, one message each, as a background service would. */
export async function publish(server: DemoServer, group: string, values: readonly number[]): Promise<void> {
  const clients = server.hubwire.hubContext(DemoHub).clients;
  for (const value of values) await clients.group(group).tick(value);
}

/** `n` consecutive numbers from `from`. */
export function range(from: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

/** Clients and servers of one test file, all stopped in `after` (each bounded). */
export function clientScope() {
  const hubs = new Set<HubClient<any, any>>();
  const servers = new Set<DemoServer>();
  after(async () => {
    await Promise.all([...hubs].map((hub) => within(hub.stop(), 5000, 'hub stop').catch(() => undefined)));
    await Promise.all([...servers].map((server) => server.close().catch(() => undefined)));
  });
  return {
    /** A typed client of DemoHub, quiet, with short reconnect delays unless told otherwise. */
    connect(url: string, options: HubClientOptions = {}): HubClient<DemoHub, DemoClient> {
      const hub = connectHub<DemoHub, DemoClient>(url, { logger: LogLevel.None, reconnect: { delays: [0, 50, 100], then: 100, jitter: 0 }, ...options });
      hubs.add(hub);
      return hub;
    },
    async server(port = 0): Promise<DemoServer> {
      const server = await startDemoServer(port);
      servers.add(server);
      return server;
    },
  };
}
