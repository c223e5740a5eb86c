/**
 * Questions to the data plane of every other node of a cluster: which of these connections are
 * yours, close these (or all but these), list your connections or users of a hub, what protocol
 * and groups has this one. Group and user
 * audiences need none of this (the backplane and presence span the nodes); a bare connection id
 * does, since presence cannot tell which node has it.
 *
 * On Redis: one channel every node listens on for questions, and one per node for the answers
 * to its own. `PUBLISH` says how many nodes heard a question, so the asker knows how many answers
 * to wait for; a node answers its own question with an empty "skip" (it answered it locally
 * already), which keeps the count exact. Answers that do not come within the timeout (a node died
 * after hearing) are given up on, and the question is answered with what came.
 * @module
 */
import type { Logger } from 'pino';
import type { AppRedisClient, ClusterContext } from '../../cluster/cluster-context.js';
import type { CloseTarget, ConnectionDirectory, ConnectionFacts, LocalConnection } from './connection-directory.js';
import { DataPlaneError } from './results.js';

/** A question about one hub's connections on a node. */
export type MeshQuestion =
  | { readonly op: 'has'; readonly hub: string; readonly ids: readonly string[] }
  | { readonly op: 'close'; readonly hub: string; readonly target: CloseTarget; readonly reason?: string }
  | { readonly op: 'list'; readonly hub: string; readonly after?: string; readonly limit: number }
  | { readonly op: 'users'; readonly hub: string; readonly after?: string; readonly limit: number }
  | { readonly op: 'describe'; readonly hub: string; readonly id: string };

/** What a node answers to each kind of question. */
export interface MeshAnswers {
  readonly has: string[];
  readonly close: number;
  readonly list: LocalConnection[];
  readonly users: string[];
  /** The connection's protocol, transport, start and groups, or null from a node that does not have it. */
  readonly describe: ConnectionFacts | null;
}

/** The other nodes, as one asks them. */
export interface NodeMesh {
  /**
   * The answers of every other node (this one's own is not among them). `enough` may end the wait
   * early (e.g. the first node that has a connection).
   */
  ask<Q extends MeshQuestion>(question: Q, enough?: (answers: readonly MeshAnswers[Q['op']][]) => boolean): Promise<MeshAnswers[Q['op']][]>;
  close(): Promise<void>;
}

/** What this node answers, from its directory. */
export function answerLocally<Q extends MeshQuestion>(directory: ConnectionDirectory, question: Q): MeshAnswers[Q['op']] {
  const answer = (): MeshAnswers[MeshQuestion['op']] => {
    switch (question.op) {
      case 'has':
        return directory.present(question.hub, question.ids);
      case 'close':
        return directory.close(question.hub, question.target, question.reason);
      case 'list':
        return directory.list(question.hub, question.after, question.limit);
      case 'users':
        return directory.users(question.hub, question.after, question.limit);
      case 'describe':
        return directory.facts(question.hub, question.id) ?? null;
    }
  };
  return answer() as MeshAnswers[Q['op']];
}

/** A process on its own: there is nobody else to ask. */
export const aloneMesh: NodeMesh = {
  ask: async () => [],
  close: async () => undefined,
};

interface Pending {
  readonly answers: unknown[];
  heard: number;
  expected: number;
  readonly enough: ((answers: readonly never[]) => boolean) | undefined;
  readonly done: (answers: unknown[]) => void;
  readonly timer: NodeJS.Timeout;
}

/** How long an asker waits for the other nodes' answers. */
export const MESH_TIMEOUT_MS = 2000;

/**
 * The mesh of a cluster on the app's Redis. {@link RedisNodeMesh.start} subscribes (a second
 * connection, as pub/sub needs) before the node serves.
 *
 * @example
 * ```ts
 * const mesh = await RedisNodeMesh.start({ cluster, answer: (q) => answerLocally(directory, q), logger });
 * const elsewhere = await mesh.ask({ op: 'has', hub: '/hubs/chat', ids: [id] }, (answers) => answers.some((ids) => ids.length > 0));
 * ```
 */
export class RedisNodeMesh implements NodeMesh {
  readonly #cluster: Pick<ClusterContext, 'redis' | 'key' | 'nodeId'>;
  readonly #subscriber: AppRedisClient;
  readonly #answer: (question: MeshQuestion) => unknown;
  readonly #logger: Logger | undefined;
  readonly #timeout: number;
  readonly #pending = new Map<string, Pending>();
  readonly #questions: string;
  #sequence = 0;

  private constructor(options: MeshOptions, subscriber: AppRedisClient) {
    this.#cluster = options.cluster;
    this.#answer = options.answer;
    this.#logger = options.logger;
    this.#timeout = options.timeoutMs ?? MESH_TIMEOUT_MS;
    this.#subscriber = subscriber;
    this.#questions = options.cluster.key('dataplane', 'mesh');
  }

  /** Subscribes to the question channel and this node's answer channel. */
  static async start(options: MeshOptions): Promise<RedisNodeMesh> {
    const subscriber = options.cluster.redis.duplicate() as AppRedisClient;
    let reported = false;
    subscriber.on('error', (error: Error) => {
      if (!reported) options.logger?.warn({ err: { message: error.message } }, 'data-plane mesh subscriber lost Redis; cross-node connection operations fail until it is back');
      reported = true;
    });
    subscriber.on('ready', () => (reported = false));
    const mesh = new RedisNodeMesh(options, subscriber);
    await subscriber.connect();
    await subscriber.subscribe(mesh.#questions, (message) => mesh.#heard(message));
    await subscriber.subscribe(mesh.#answersOf(options.cluster.nodeId), (message) => mesh.#answered(message));
    return mesh;
  }

  async ask<Q extends MeshQuestion>(question: Q, enough?: (answers: readonly MeshAnswers[Q['op']][]) => boolean): Promise<MeshAnswers[Q['op']][]> {
    const id = `${this.#cluster.nodeId}:${++this.#sequence}`;
    const answers = new Promise<unknown[]>((resolve) => {
      const timer = setTimeout(() => this.#giveUp(id), this.#timeout);
      timer.unref();
      this.#pending.set(id, { answers: [], heard: 0, expected: Number.POSITIVE_INFINITY, enough: enough as Pending['enough'], done: resolve, timer });
    });
    let receivers: number;
    try {
      receivers = await this.#cluster.redis.publish(this.#questions, JSON.stringify({ id, from: this.#cluster.nodeId, question }));
    } catch (error) {
      this.#settle(id);
      throw new DataPlaneError('ServiceUnavailable', `The other nodes cannot be reached: ${(error as Error).message}`);
    }
    const pending = this.#pending.get(id);
    if (pending !== undefined) {
      pending.expected = receivers;
      this.#check(id, pending);
    }
    return (await answers) as MeshAnswers[Q['op']][];
  }

  async close(): Promise<void> {
    for (const id of [...this.#pending.keys()]) this.#settle(id);
    this.#subscriber.destroy();
  }

  #answersOf(nodeId: string): string {
    return this.#cluster.key('dataplane', 'mesh', 'answers', nodeId);
  }

  #heard(message: string): void {
    let id: string;
    let from: string;
    let question: MeshQuestion;
    try {
      ({ id, from, question } = JSON.parse(message) as { id: string; from: string; question: MeshQuestion });
    } catch {
      return;
    }
    let reply: { id: string; skip?: true; answer?: unknown };
    try {
      reply = from === this.#cluster.nodeId ? { id, skip: true } : { id, answer: this.#answer(question) };
    } catch (error) {
      this.#logger?.warn({ op: question.op, err: { message: (error as Error).message } }, 'could not answer a data-plane question of another node');
      reply = { id, skip: true };
    }
    this.#cluster.redis.publish(this.#answersOf(from), JSON.stringify(reply)).catch(() => undefined);
  }

  #answered(message: string): void {
    let reply: { id: string; skip?: boolean; answer?: unknown };
    try {
      reply = JSON.parse(message) as typeof reply;
    } catch {
      return;
    }
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    pending.heard++;
    if (reply.skip !== true) pending.answers.push(reply.answer);
    this.#check(reply.id, pending);
  }

  #check(id: string, pending: Pending): void {
    if (pending.heard >= pending.expected || (pending.enough?.(pending.answers as never[]) ?? false)) this.#settle(id);
  }

  #giveUp(id: string): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#logger?.warn({ heard: pending.heard, expected: pending.expected }, 'some nodes did not answer a data-plane question in time; answering with the others');
    this.#settle(id);
  }

  #settle(id: string): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.done(pending.answers);
  }
}

/** What {@link RedisNodeMesh.start} needs. */
export interface MeshOptions {
  readonly cluster: Pick<ClusterContext, 'redis' | 'key' | 'nodeId'>;
  /** This node's answer to another node's question. */
  readonly answer: (question: MeshQuestion) => unknown;
  readonly logger?: Logger;
  readonly timeoutMs?: number;
}
