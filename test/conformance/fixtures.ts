/**
 * Hubs and helpers shared by the conformance suites.
 * @module
 */
import { Hub, HubError, type HubServer, type HubServerOptions, type MapHubOptions } from 'hubwire';
import { RawClient } from '../support/raw-client.js';
import { JsonStream } from '../support/json-stream.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** A promise the test resolves by hand. */
export class Gate {
  readonly promise: Promise<void>;
  open!: () => void;
  constructor() {
    this.promise = new Promise<void>((resolve) => (this.open = resolve));
  }
}

/** What a {@link ConformanceHub} records, per server. */
export class HubState {
  /** Events in order: `record` arguments, `start:X` / `end:X` of slow and fast calls. */
  readonly log: string[] = [];
  /** Gates `slow(name)` waits on, created on demand. */
  readonly gates = new Map<string, Gate>();
  /** The `error` argument of every onDisconnected call. */
  readonly disconnects: (Error | undefined)[] = [];

  gate(name: string): Gate {
    let gate = this.gates.get(name);
    if (gate === undefined) {
      gate = new Gate();
      this.gates.set(name, gate);
    }
    return gate;
  }

  /** Opens every gate so no invocation is left hanging. */
  openAll(): void {
    for (const gate of this.gates.values()) gate.open();
  }
}

/** An error subclass that does not set `name`: detailed errors should show its class name. */
export class QuotaError extends Error {}

/** The hub every conformance suite talks to. */
export class ConformanceHub extends Hub {
  readonly #state: HubState;

  constructor(state: HubState) {
    super();
    this.#state = state;
  }

  add(a: number, b: number): number {
    return a + b;
  }

  async addAsync(a: number, b: number): Promise<number> {
    await Promise.resolve();
    return a + b;
  }

  echo(value: unknown): unknown {
    return value;
  }

  nothing(): void {}

  nullResult(): null {
    return null;
  }

  fail(): never {
    throw new Error('boom');
  }

  async failAsync(): Promise<never> {
    await Promise.resolve();
    throw new Error('async boom');
  }

  failType(): never {
    throw new TypeError('bad type');
  }

  failCustom(): never {
    throw new QuotaError('quota exceeded');
  }

  hubFail(): never {
    throw new HubError('Not allowed.');
  }

  /** A result JSON cannot encode. */
  bigResult(): bigint {
    return 10n;
  }

  /** Another result JSON cannot encode. */
  circularResult(): unknown {
    const value: Record<string, unknown> = {};
    value['self'] = value;
    return value;
  }

  record(entry: string): void {
    this.#state.log.push(entry);
  }

  async slow(name: string): Promise<string> {
    this.#state.log.push(`start:${name}`);
    await this.#state.gate(name).promise;
    this.#state.log.push(`end:${name}`);
    return name;
  }

  fast(name: string): string {
    this.#state.log.push(`start:${name}`);
    this.#state.log.push(`end:${name}`);
    return name;
  }

  override onDisconnected(error?: Error): void {
    this.#state.disconnects.push(error);
  }
}

/** A hub whose onConnected throws. */
export class RefusingHub extends Hub {
  override onConnected(): void {
    throw new Error('no entry');
  }

  add(a: number, b: number): number {
    return a + b;
  }
}

/** A server with {@link ConformanceHub} mapped on `path` (default `/hub`) and its state. */
export interface ConformanceServer extends TestServer {
  readonly state: HubState;
  /** `ws://…/hub` (+ `?query`). */
  hubWs(query?: string): string;
  /** `http://…/hub`. */
  readonly hubUrl: string;
}

export async function startConformanceServer(
  options: HubServerOptions = {},
  hubOptions: Omit<MapHubOptions<ConformanceHub>, 'create'> = {},
  extra?: (hubwire: HubServer) => void,
): Promise<ConformanceServer> {
  const state = new HubState();
  const server = await startTestServer((hubwire) => {
    hubwire.mapHub('/hub', ConformanceHub, { ...hubOptions, create: () => new ConformanceHub(state) });
    extra?.(hubwire);
  }, options);
  return {
    ...server,
    state,
    hubUrl: server.url('/hub'),
    hubWs: (query) => server.wsUrl(query === undefined ? '/hub' : `/hub?${query}`),
    close: async () => {
      state.openAll();
      await server.close();
    },
  };
}

/** A handshaken JSON client (skipNegotiation) wrapped as a message stream. */
export async function openJson(url: string): Promise<JsonStream> {
  return new JsonStream(await RawClient.handshaken(url));
}

/** An invocation message text. */
export function invocation(target: string, args: unknown[], invocationId?: string): string {
  return JSON.stringify(invocationId === undefined ? { type: 1, target, arguments: args } : { type: 1, invocationId, target, arguments: args });
}

/** The Close a protocol error, an oversize message or a client timeout ends with (detailed errors off). */
export const CLOSE_WITH_ERROR = '{"type":7,"error":"Connection closed with an error.","allowReconnect":true}';
