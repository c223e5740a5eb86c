/**
 * One client of the chaos scenario: an official @microsoft/signalr client (WebSockets, JSON or
 * MessagePack) that joins its groups with `Join(group, since)` and logs every group message it
 * receives with its trailing position. When its connection ends (a cut, its node killed) it
 * reconnects by itself to a random live node and recovers each group from the last position it
 * received — what an application does with the stock client and no automatic reconnect of its
 * own, after a random time away. Each reconnect is timed from its start to each `Join` answered.
 * @module
 */
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import WebSocket from 'ws';
import { clientFor, signalR } from '../support/signalr-client.js';
import { within } from '../support/wait.js';
import { CHAOS_HUB_PATH, type GroupPosition, type RecoveryResult, type Since } from './chaos-protocol.js';

/** Which node a client reaches: the driver's view of the cluster. */
export interface ClientEnvironment {
  /** The indexes of the nodes that are running now. */
  liveNodes(): readonly number[];
  urlOf(node: number): string;
}

/** A client's part in the scenario, fixed by the seed. */
export interface ClientPlan {
  readonly index: number;
  readonly protocol: 'json' | 'messagepack';
  readonly groups: readonly string[];
  /** The node of its first connection. */
  readonly node: number;
  /** Its own random numbers (the node of each reconnect, the time away). */
  readonly random: () => number;
  /** A reconnect starts after a random pause of up to this (ms): the client misses more meanwhile. */
  readonly awayMs: number;
}

/** What a client received in one group, in arrival order. */
export interface GroupLog {
  readonly offsets: number[];
  /** `sender` and `seq` of each message (the tag its sender gave it), parallel to `offsets`. */
  readonly senders: number[];
  readonly seqs: number[];
  readonly epochs: Set<string>;
  last: GroupPosition | undefined;
}

/** One answered `Join` of a reconnect. */
export interface JoinRecord {
  readonly group: string;
  /** From the reconnect's start (after the time away) to this `Join` answered (ms). */
  readonly ms: number;
  readonly recovered: boolean;
  readonly replayed: number;
}

/** Why a connection ended: the driver cut it (and how), or it ended by itself (its node died). */
export type CloseCause = 'terminate' | 'stop' | 'dropped';

/** One completed reconnect. */
export interface ReconnectRecord {
  readonly cause: CloseCause;
  /** The node the ended connection was on, and the node it recovered on. */
  readonly from: number;
  readonly to: number;
  /** Connections tried (1 unless a node refused or died during the joins). */
  readonly attempts: number;
  readonly joins: readonly JoinRecord[];
}

const START_MS = 10_000;
const JOIN_MS = 15_000;
const MAX_ATTEMPTS = 8;

type State = 'idle' | 'connected' | 'reconnecting' | 'closed';

/** A chaos client. `start()` connects and joins; the driver cuts it with `cut()`; `close()` ends it. */
export class ChaosClient {
  readonly plan: ClientPlan;
  readonly logs = new Map<string, GroupLog>();
  readonly reconnects: ReconnectRecord[] = [];
  /** Positions the first joins answered (every group is new, so 0 each). */
  readonly initialOffsets: number[] = [];
  /** `snapshot` messages received (the server's fallback when the history could not cover a gap). */
  snapshots = 0;
  /** What went wrong on this client (a message without a position, a reconnect that gave up, …). */
  readonly errors: string[] = [];
  readonly #env: ClientEnvironment;
  #state: State = 'idle';
  #connection: signalR.HubConnection | undefined;
  #node = -1;
  #socket: WebSocket | undefined;
  #cause: CloseCause = 'dropped';
  #settled: Promise<void> = Promise.resolve();

  constructor(plan: ClientPlan, env: ClientEnvironment) {
    this.plan = plan;
    this.#env = env;
    for (const group of plan.groups) this.logs.set(group, { offsets: [], senders: [], seqs: [], epochs: new Set(), last: undefined });
  }

  get state(): State {
    return this.#state;
  }

  /** The node of the current connection. */
  get node(): number {
    return this.#node;
  }

  /** Connects to its first node and joins every group live (no position yet). */
  async start(): Promise<void> {
    const connection = await this.#open(this.plan.node);
    const answers = await Promise.all(this.plan.groups.map((group) => this.#join(connection, group, null)));
    this.initialOffsets.push(...answers.map((answer) => answer.position.offset));
    this.#state = 'connected';
    if (connection.state !== signalR.HubConnectionState.Connected) this.#lost(connection);
  }

  /**
   * Cuts the connection: `terminate` destroys the TCP socket under the WebSocket (no close frame,
   * as a network failure), `stop` closes it the polite way. A client in the middle of a reconnect
   * is cut too once its new connection is up (its joins fail and it tries again). False (nothing
   * done) when no connection is up.
   */
  cut(how: 'terminate' | 'stop'): boolean {
    const connection = this.#connection;
    if (this.#state === 'idle' || this.#state === 'closed' || connection?.state !== signalR.HubConnectionState.Connected) return false;
    if (this.#state === 'connected') this.#cause = how;
    if (how === 'terminate') {
      if (this.#socket === undefined) return false;
      this.#socket.terminate();
    } else {
      void connection.stop().catch(() => undefined);
    }
    return true;
  }

  /** Resolves once no reconnect is running (it may have given up: see `errors`). */
  async settled(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.#settled;
      await current;
    } while (current !== this.#settled);
  }

  /** The last offset received in `group` (0 before any). */
  lastOffset(group: string): number {
    return this.logs.get(group)?.last?.offset ?? 0;
  }

  /** Stops the connection for good (no reconnect). Never throws. */
  async close(): Promise<void> {
    this.#state = 'closed';
    const connection = this.#connection;
    if (connection !== undefined) await within(connection.stop(), 5000, 'client stop').catch(() => undefined);
  }

  async #open(node: number): Promise<signalR.HubConnection> {
    const client = this;
    // The official client opens its socket through this class (its `WebSocket` option), so the
    // driver can cut the TCP connection under the latest one.
    const Socket = class extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        client.#socket = this;
      }
    };
    const options = { transport: signalR.HttpTransportType.WebSockets, skipNegotiation: true, WebSocket: Socket } as signalR.IHttpConnectionOptions;
    const builder = clientFor(this.#env.urlOf(node) + CHAOS_HUB_PATH, options);
    if (this.plan.protocol === 'messagepack') builder.withHubProtocol(new MessagePackHubProtocol());
    const connection = builder.build();
    // Only the current connection counts: one given up on may still deliver until its stop completes.
    connection.on('receive', (sender: number, seq: number, position: GroupPosition) => {
      if (connection === this.#connection) this.#received(sender, seq, position);
    });
    connection.on('snapshot', () => {
      if (connection === this.#connection) this.snapshots++;
    });
    connection.onclose(() => this.#lost(connection));
    this.#connection = connection;
    this.#node = node;
    try {
      await within(connection.start(), START_MS, `client ${this.plan.index} to start on node ${node}`);
    } catch (error) {
      void connection.stop().catch(() => undefined);
      throw error;
    }
    return connection;
  }

  #join(connection: signalR.HubConnection, group: string, since: Since): Promise<RecoveryResult> {
    return within(connection.invoke<RecoveryResult>('Join', group, since), JOIN_MS, `client ${this.plan.index} Join ${group}`);
  }

  #received(sender: number, seq: number, position: GroupPosition | undefined): void {
    const log = position === undefined ? undefined : this.logs.get(position.group);
    if (position === undefined || log === undefined || typeof position.offset !== 'number') {
      this.errors.push(`a message without a position of one of its groups: ${JSON.stringify([sender, seq, position])}`);
      return;
    }
    log.offsets.push(position.offset);
    log.senders.push(sender);
    log.seqs.push(seq);
    log.epochs.add(position.epoch);
    log.last = position;
  }

  /** The current connection ended: a connected client starts a reconnect; one reconnecting retries by itself. */
  #lost(connection: signalR.HubConnection): void {
    if (connection !== this.#connection || this.#state !== 'connected') return;
    this.#state = 'reconnecting';
    const cause = this.#cause;
    this.#cause = 'dropped';
    this.#settled = this.#reconnect(cause);
  }

  /** A method, not a field read, so the check is made again after each await. */
  #closedNow(): boolean {
    return this.#state === 'closed';
  }

  #since(group: string): Since {
    const last = this.logs.get(group)?.last;
    return last === undefined ? { offset: 0 } : { offset: last.offset, epoch: last.epoch };
  }

  async #reconnect(cause: CloseCause): Promise<void> {
    const from = this.#node;
    await new Promise((resolve) => setTimeout(resolve, Math.floor(this.plan.random() * this.plan.awayMs)));
    const started = performance.now();
    let lastError: unknown;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (this.#closedNow()) return;
      const nodes = this.#env.liveNodes();
      const node = nodes[Math.floor(this.plan.random() * nodes.length)]!;
      let connection: signalR.HubConnection | undefined;
      try {
        connection = await this.#open(node);
        const open = connection;
        const joins = await Promise.all(
          this.plan.groups.map(async (group): Promise<JoinRecord> => {
            const answer = await this.#join(open, group, this.#since(group));
            return { group, ms: performance.now() - started, recovered: answer.recovered, replayed: answer.replayed };
          }),
        );
        this.reconnects.push({ cause, from, to: node, attempts: attempt, joins });
        if (this.#closedNow()) return;
        this.#state = 'connected';
        // It may have ended while the joins ran: that is a new reconnect (its close was not seen as one).
        if (connection.state !== signalR.HubConnectionState.Connected) this.#lost(connection);
        return;
      } catch (error) {
        lastError = error;
        if (connection !== undefined) void connection.stop().catch(() => undefined);
        // A short pause that grows: a node that just died may still be in the live list.
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
    this.#state = 'closed';
    this.errors.push(`gave up reconnecting after ${MAX_ATTEMPTS} attempts: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
  }
}
