/**
 * What every operation works on: one resolved hub with the data plane's services around it.
 * {@link DataPlane.run} builds it for a request; tests may build one by hand.
 * @module
 */
import type { HubContext } from 'hubwire';
import type { Logger } from 'pino';
import type { ClusterConnections } from './cluster-connections.js';
import type { IdempotencyStore } from './idempotency.js';
import type { UserGroupStore } from './user-groups.js';

/** One hub as the operations see it. */
export interface HubTarget {
  /** The hub's mapped path (`/hubs/chat`): the key of its connections and user groups. */
  readonly path: string;
  /** Its clients, groups and presence, over every node. */
  readonly context: HubContext;
  readonly connections: ClusterConnections;
  readonly userGroups: UserGroupStore;
  readonly idempotency: IdempotencyStore;
  /** The absolute URL of the request, for `nextLink`s. */
  readonly requestUrl: string;
  /** How long `:invoke` waits for the client's answer. */
  readonly invokeTimeoutMs: number;
  /** The first access key: what `:generateToken` signs with (never logged). */
  readonly accessKey: string | undefined;
  /** The clock of tokens (epoch ms). */
  readonly now: () => number;
  readonly logger?: Logger;
}
