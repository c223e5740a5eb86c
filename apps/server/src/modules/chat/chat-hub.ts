/**
 * `/hubs/chat`: authenticated chat in workflows. A message goes to every workflow the sender
 * joined, or to everyone when it joined none. Workflows are recoverable groups: a member that
 * comes back after a reconnect rejoins with the last position it received and is replayed what
 * it missed.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { Hub, HubError, type Clock, type GroupPosition, type RecoveryOptions, type RecoveryResult } from 'hubwire';
import type { Logger } from 'pino';
import { checkPosition, isBackplaneError } from '../client-positions.js';

/** What `ReceiveMessage` carries. `workflowId` is null for a message to everyone. */
export interface ChatMessage {
  readonly messageId: string;
  readonly user: string;
  readonly text: string;
  readonly workflowId: string | null;
  readonly timestamp: string;
}

/** What `SendMessage` returns. */
export interface MessageAck {
  readonly messageId: string;
  readonly receivedAt: string;
}

/** What `UserJoined` and `UserLeft` carry. */
export interface MembershipChange {
  readonly workflowId: string;
  readonly user: string;
  readonly connectionId: string;
  readonly timestamp: string;
}

/**
 * What `JoinWorkflow` returns: where the workflow's history stands for this connection (the last
 * message replayed, or the newest one); with a `fromPosition`, whether everything after it was
 * replayed and how many messages were.
 */
export interface WorkflowJoin {
  readonly workflowId: string;
  readonly position: GroupPosition;
  readonly recovered?: boolean;
  readonly replayed?: number;
}

/**
 * The client methods of /hubs/chat. What is sent to a workflow carries its position in the
 * workflow's history as a last argument (the library adds it); a message to everyone has none.
 */
export interface ChatClient {
  ReceiveMessage(message: ChatMessage, position?: GroupPosition): void;
  /** To the workflow's other members when a connection joins it. */
  UserJoined(change: MembershipChange, position?: GroupPosition): void;
  /** To the workflow's other members when a connection leaves it (or disconnects). */
  UserLeft(change: MembershipChange & { readonly reason: 'left' | 'disconnected' }, position?: GroupPosition): void;
}

/** What the hub is given. */
export interface ChatServices {
  readonly clock: Clock;
  readonly maxMessageLength: number;
  readonly logger: Logger;
  /** Message ids; default random UUIDs. */
  readonly newId?: () => string;
}

const WORKFLOW_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/**
 * Workflows one connection may be in. A message goes to each of the sender's workflows with its
 * own workflowId, so this also bounds what one SendMessage costs (one serialization per workflow).
 */
export const MAX_WORKFLOWS_PER_CONNECTION = 50;
const WORKFLOWS = Symbol('chat.workflows');

/** The group of a workflow. */
export function workflowGroup(workflowId: string): string {
  return `workflow:${workflowId}`;
}

/**
 * Workflow groups are recoverable: 200 entries, 5 minutes each (a reconnect takes seconds, a
 * laptop lid a few minutes); a workflow idle for 30 minutes is forgotten (workflows are made up
 * by whoever joins them, so memory stays bounded by the busy ones).
 */
export const CHAT_RECOVERY: RecoveryOptions = { groups: [{ match: workflowGroup('*'), maxCount: 200, maxAge: 5 * 60_000 }], metaTtl: 30 * 60_000 };

const UNAVAILABLE = 'Workflow chat is unavailable right now (its history cannot be reached); try again shortly.';

/** Who is in a workflow: its connections and their users, over every node (at most {@link MAX_LISTED_MEMBERS}). */
export interface WorkflowMembers {
  readonly workflowId: string;
  readonly members: readonly { readonly connectionId: string; readonly user: string | null }[];
  /** More connections are in it than were listed. */
  readonly more: boolean;
}

/** Most members `GetWorkflowMembers` lists (presence's largest page). */
export const MAX_LISTED_MEMBERS = 1000;

/** Chat for authenticated users (the hub is mapped with `authorize: true`). */
export class ChatHub extends Hub<ChatClient> {
  readonly #services: ChatServices;

  constructor(services: ChatServices) {
    super();
    this.#services = services;
  }

  /** Sends `text` and returns its id and the server's time of receipt. */
  async sendMessage(text: unknown): Promise<MessageAck> {
    const checked = this.#text(text);
    const messageId = (this.#services.newId ?? randomUUID)();
    const receivedAt = this.#now();
    const user = this.#user();
    const workflows = [...this.#workflows()];
    if (workflows.length === 0) {
      await this.clients.all.ReceiveMessage({ messageId, user, text: checked, workflowId: null, timestamp: receivedAt });
    } else {
      // One send per workflow: each is an entry of that workflow's own history.
      await Promise.all(
        workflows.map((workflowId) => this.clients.group(workflowGroup(workflowId)).ReceiveMessage({ messageId, user, text: checked, workflowId, timestamp: receivedAt })),
      ).catch(unavailable);
    }
    return { messageId, receivedAt };
  }

  /**
   * Joins a workflow; its other members get `UserJoined`. With `fromPosition` (the last position
   * the client received from the workflow, e.g. before a reconnect) the workflow's messages after
   * it — `ReceiveMessage`, `UserJoined`, `UserLeft`, as they were sent — are replayed first, in
   * order, then the live ones follow. Joining again changes nothing and answers the position.
   */
  async joinWorkflow(workflowId: unknown, fromPosition?: unknown): Promise<WorkflowJoin> {
    const id = checkWorkflowId(workflowId);
    const since = checkPosition(fromPosition, 'fromPosition');
    const group = workflowGroup(id);
    const workflows = this.#workflows();
    if (workflows.has(id)) return { workflowId: id, position: { group, ...(await this.groups.position(group).catch(unavailable)) } };
    if (workflows.size >= MAX_WORKFLOWS_PER_CONNECTION) {
      throw new HubError(`A connection may be in at most ${MAX_WORKFLOWS_PER_CONNECTION} workflows; leave one first.`);
    }
    // Without a position too: a live join that answers where the history stands.
    const result: RecoveryResult = await this.groups.recover(this.context.connectionId, group, since === undefined ? {} : { since }).catch(unavailable);
    workflows.add(id);
    this.#services.logger.debug({ connectionId: this.context.connectionId, user: this.#user(), workflowId: id, recovered: result.recovered, replayed: result.replayed }, 'joined workflow');
    await this.clients.othersInGroup(group).UserJoined(this.#change(id)).catch(unavailable);
    const joined: WorkflowJoin = { workflowId: id, position: { group, ...result.position } };
    return since === undefined ? joined : { ...joined, recovered: result.recovered, replayed: result.replayed };
  }

  /** Leaves a workflow; its remaining members get `UserLeft`. Leaving one not joined changes nothing. */
  async leaveWorkflow(workflowId: unknown): Promise<void> {
    const id = checkWorkflowId(workflowId);
    const workflows = this.#workflows();
    if (!workflows.delete(id)) return;
    await this.groups.remove(this.context.connectionId, workflowGroup(id));
    this.#services.logger.debug({ connectionId: this.context.connectionId, user: this.#user(), workflowId: id }, 'left workflow');
    await this.clients.group(workflowGroup(id)).UserLeft({ ...this.#change(id), reason: 'left' }).catch(unavailable);
  }

  /**
   * Who is in a workflow the caller joined (asking about another one is refused: membership is
   * the members' to see), from presence, so it covers every node; the caller is in the list.
   */
  async getWorkflowMembers(workflowId: unknown): Promise<WorkflowMembers> {
    const id = checkWorkflowId(workflowId);
    if (!this.#workflows().has(id)) throw new HubError('Join the workflow first to see who is in it.');
    const page = await this.presence.groupConnections(workflowGroup(id), { limit: MAX_LISTED_MEMBERS }).catch(unavailable);
    return { workflowId: id, members: page.items.map((item) => ({ connectionId: item.connectionId, user: item.userIdentifier ?? null })), more: page.cursor !== undefined };
  }

  /** The workflows this connection joined. */
  getWorkflows(): string[] {
    return [...this.#workflows()];
  }

  override async onDisconnected(): Promise<void> {
    // Still a member of its groups here: tell the others, then membership ends with the connection.
    const workflows = [...this.#workflows()];
    await Promise.all(workflows.map((id) => this.clients.othersInGroup(workflowGroup(id)).UserLeft({ ...this.#change(id), reason: 'disconnected' })));
  }

  #workflows(): Set<string> {
    const items = this.context.items;
    let workflows = items.get(WORKFLOWS) as Set<string> | undefined;
    if (workflows === undefined) items.set(WORKFLOWS, (workflows = new Set()));
    return workflows;
  }

  #change(workflowId: string): MembershipChange {
    return { workflowId, user: this.#user(), connectionId: this.context.connectionId, timestamp: this.#now() };
  }

  #user(): string {
    return this.context.userIdentifier ?? 'unknown';
  }

  #text(text: unknown): string {
    if (typeof text !== 'string' || text.trim().length === 0) throw new HubError('A message needs some text.');
    const max = this.#services.maxMessageLength;
    if (text.length > max) throw new HubError(`A message may have at most ${max} characters.`);
    return text;
  }

  #now(): string {
    return new Date(this.#services.clock.now()).toISOString();
  }
}

/** The history (Redis) cannot be reached: a clear error for the caller, not an internal one. */
function unavailable(error: unknown): never {
  if (isBackplaneError(error)) throw new HubError(UNAVAILABLE);
  throw error;
}

function checkWorkflowId(workflowId: unknown): string {
  if (typeof workflowId !== 'string' || !WORKFLOW_ID.test(workflowId)) {
    throw new HubError('A workflow id needs 1 to 100 characters: letters, digits and . _ : - (starting with a letter or digit).');
  }
  return workflowId;
}
