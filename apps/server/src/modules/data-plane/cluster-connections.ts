/**
 * A hub's connections over every node: this node's directory first, the others through the
 * mesh only when this node cannot answer alone. Pages of connections and users are merged from
 * every node's first `limit + 1` after the cursor, so a page is exact without any node holding
 * the whole list.
 * @module
 */
import type { CloseTarget, ConnectionDirectory, ConnectionFacts, LocalConnection } from './connection-directory.js';
import type { NodeMesh } from './node-mesh.js';
import { DataPlaneError } from './results.js';

/** Connection ids per mesh question, so a message stays small. */
const IDS_PER_QUESTION = 500;

/** One page and the cursor of the next (undefined on the last page). */
export interface DataPlanePage<T> {
  readonly items: readonly T[];
  readonly cursor: string | undefined;
}

/**
 * Existence, closing and listing of connections across nodes.
 *
 * @example
 * ```ts
 * const connections = new ClusterConnections(directory, mesh);
 * if (await connections.exists('/hubs/chat', id)) await connections.close('/hubs/chat', { ids: [id] }, 'bye');
 * ```
 */
export class ClusterConnections {
  readonly #directory: ConnectionDirectory;
  readonly #mesh: NodeMesh;

  constructor(directory: ConnectionDirectory, mesh: NodeMesh) {
    this.#directory = directory;
    this.#mesh = mesh;
  }

  async exists(hub: string, connectionId: string): Promise<boolean> {
    if (this.#directory.has(hub, connectionId)) return true;
    const answers = await this.#mesh.ask({ op: 'has', hub, ids: [connectionId] }, (heard) => heard.some((ids) => ids.length > 0));
    return answers.some((ids) => ids.length > 0);
  }

  /** The protocol and groups of a connection wherever it is; undefined when no node has it. */
  async describe(hub: string, connectionId: string): Promise<ConnectionFacts | undefined> {
    const here = this.#directory.facts(hub, connectionId);
    if (here !== undefined) return here;
    const answers = await this.#mesh.ask({ op: 'describe', hub, id: connectionId }, (heard) => heard.some((facts) => facts !== null));
    return answers.find((facts) => facts !== null) ?? undefined;
  }

  /** Closes connections wherever they are; answers how many were found. */
  async close(hub: string, target: CloseTarget, reason: string | undefined): Promise<number> {
    if (!('ids' in target)) {
      const here = this.#directory.close(hub, target, reason);
      const elsewhere = await this.#mesh.ask({ op: 'close', hub, target, ...(reason === undefined ? {} : { reason }) });
      return here + sum(elsewhere);
    }
    const local = new Set(this.#directory.present(hub, target.ids));
    let closed = this.#directory.close(hub, { ids: [...local] }, reason);
    const remote = [...new Set(target.ids)].filter((id) => !local.has(id));
    for (let start = 0; start < remote.length; start += IDS_PER_QUESTION) {
      const ids = remote.slice(start, start + IDS_PER_QUESTION);
      closed += sum(await this.#mesh.ask({ op: 'close', hub, target: { ids }, ...(reason === undefined ? {} : { reason }) }));
    }
    return closed;
  }

  /** A page of the hub's connections, ordered by connection id. */
  async list(hub: string, cursor: string | undefined, limit: number): Promise<DataPlanePage<LocalConnection>> {
    const after = decodeCursor(cursor);
    const question = { op: 'list', hub, limit: limit + 1, ...(after === undefined ? {} : { after }) } as const;
    const all = [this.#directory.list(hub, after, limit + 1), ...(await this.#mesh.ask(question))].flat();
    const byId = new Map(all.map((connection) => [connection.connectionId, connection]));
    const ids = [...byId.keys()].sort();
    const items = ids.slice(0, limit).map((id) => byId.get(id)!);
    return { items, cursor: ids.length > limit ? encodeCursor(items[items.length - 1]!.connectionId) : undefined };
  }

  /** A page of the distinct users with a connection to the hub, ordered. */
  async users(hub: string, cursor: string | undefined, limit: number): Promise<DataPlanePage<string>> {
    const after = decodeCursor(cursor);
    const question = { op: 'users', hub, limit: limit + 1, ...(after === undefined ? {} : { after }) } as const;
    const users = [...new Set([this.#directory.users(hub, after, limit + 1), ...(await this.#mesh.ask(question))].flat())].sort();
    const items = users.slice(0, limit);
    return { items, cursor: users.length > limit ? encodeCursor(items[items.length - 1]!) : undefined };
  }
}

function sum(counts: readonly number[]): number {
  return counts.reduce((total, count) => total + count, 0);
}

/** Cursors are opaque to callers: the last item of the page, base64url-encoded. */
function encodeCursor(last: string): string {
  return Buffer.from(last, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new DataPlaneError('InvalidArgument', 'The continuationToken is not one this API gave.', 'continuationToken');
  return Buffer.from(cursor, 'base64url').toString('utf8');
}
