/**
 * `/hubs/synaxis`: organization notifications for authenticated members.
 * @module
 */
import { Hub, HubError, type Principal, type RecoveryResult } from 'hubwire';
import { checkPosition, isBackplaneError } from '../client-positions.js';
import type { OrganizationMembers } from './memberships.js';
import { ORGANIZATION_ID, organizationGroup, type OrganizationJoin, type SynaxisClient } from './model.js';

/** Decides whether `user` is a member of the organization (may be async, e.g. a database look-up). */
export type MembershipCheck = (user: Principal, organizationId: string) => boolean | Promise<boolean>;

/**
 * Which of this process's connections joined which organizations. The cluster-wide view (where
 * the simulated agents send, how many members a notification reached) adds up every node's
 * directory: see memberships.ts.
 */
export class OrganizationDirectory {
  readonly #members = new Map<string, Set<string>>();
  readonly #byConnection = new Map<string, Set<string>>();

  add(connectionId: string, organizationId: string): void {
    let members = this.#members.get(organizationId);
    if (members === undefined) this.#members.set(organizationId, (members = new Set()));
    members.add(connectionId);
    let organizations = this.#byConnection.get(connectionId);
    if (organizations === undefined) this.#byConnection.set(connectionId, (organizations = new Set()));
    organizations.add(organizationId);
  }

  remove(connectionId: string, organizationId: string): void {
    const members = this.#members.get(organizationId);
    members?.delete(connectionId);
    if (members?.size === 0) this.#members.delete(organizationId);
    const organizations = this.#byConnection.get(connectionId);
    organizations?.delete(organizationId);
    if (organizations?.size === 0) this.#byConnection.delete(connectionId);
  }

  removeConnection(connectionId: string): void {
    for (const organizationId of this.#byConnection.get(connectionId) ?? []) this.remove(connectionId, organizationId);
  }

  /** Organizations with at least one connected member. */
  organizations(): string[] {
    return [...this.#members.keys()];
  }

  /** Connections that joined the organization. */
  memberCount(organizationId: string): number {
    return this.#members.get(organizationId)?.size ?? 0;
  }

  /** Members per organization with at least one. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.#members].map(([organizationId, members]) => [organizationId, members.size]));
  }

  /** True if the connection joined the organization. */
  has(connectionId: string, organizationId: string): boolean {
    return this.#byConnection.get(connectionId)?.has(organizationId) ?? false;
  }

  /** Organizations a connection joined. */
  joinedBy(connectionId: string): number {
    return this.#byConnection.get(connectionId)?.size ?? 0;
  }
}

/** Organizations one connection may join. */
export const MAX_ORGANIZATIONS_PER_CONNECTION = 50;

/**
 * Clients call `JoinOrganization(id)` (members only; returns `{organizationId, joinedAt,
 * position}`), `JoinOrganization(id, fromPosition)` (the same, after replaying what the client
 * missed since `fromPosition`) and `LeaveOrganization(id)`; members receive the organization's
 * notifications, each with its position as a trailing argument.
 * Map it with `authorize: true`: every connection has a verified user.
 */
export class SynaxisHub extends Hub<SynaxisClient> {
  readonly #isMember: MembershipCheck;
  readonly #directory: OrganizationDirectory;
  readonly #members: OrganizationMembers | undefined;

  /** `members` is told of every change to `directory` (to share it with the other nodes). */
  constructor(isMember: MembershipCheck, directory: OrganizationDirectory, members?: OrganizationMembers) {
    super();
    this.#isMember = isMember;
    this.#directory = directory;
    this.#members = members;
  }

  /**
   * Joins the organization's group. With `fromPosition` (the last position the client received)
   * the notifications after it are replayed first, in order, then the live ones follow with no
   * gap and no repeat; `recovered: false` says the history could not cover the gap (older than
   * its window, or another epoch: the history was lost) and nothing was replayed.
   */
  async joinOrganization(organizationId: string, fromPosition?: { offset: number; epoch: string } | null): Promise<OrganizationJoin> {
    const id = checkId(organizationId);
    const since = checkPosition(fromPosition, 'fromPosition');
    const user = this.context.user;
    if (user === undefined || !(await this.#isMember(user, id))) throw new HubError(`You are not a member of organization '${id}'.`);
    if (!this.#directory.has(this.context.connectionId, id) && this.#directory.joinedBy(this.context.connectionId) >= MAX_ORGANIZATIONS_PER_CONNECTION) {
      throw new HubError(`A connection may join at most ${MAX_ORGANIZATIONS_PER_CONNECTION} organizations.`);
    }
    const group = organizationGroup(id);
    let result: RecoveryResult;
    try {
      if (since === undefined && this.#directory.has(this.context.connectionId, id)) {
        // A member already, live: nothing to join again (a second live join could skip what is in flight to it).
        result = { recovered: false, position: await this.groups.position(group), replayed: 0 };
      } else {
        // Without a position too: a live join that answers where the history stands.
        result = await this.groups.recover(this.context.connectionId, group, since === undefined ? {} : { since });
      }
    } catch (error) {
      if (isBackplaneError(error)) throw new HubError('Organization notifications are unavailable right now (their history cannot be reached); try again shortly.');
      throw error;
    }
    this.#directory.add(this.context.connectionId, id);
    // Answered once every node counts the new member (agents and the admin endpoint read it).
    await this.#members?.changed();
    const joined: OrganizationJoin = { organizationId: id, joinedAt: new Date().toISOString(), position: { group, ...result.position } };
    return since === undefined ? joined : { ...joined, recovered: result.recovered, replayed: result.replayed };
  }

  async leaveOrganization(organizationId: string): Promise<void> {
    const id = checkId(organizationId);
    this.#directory.remove(this.context.connectionId, id);
    await this.groups.remove(this.context.connectionId, organizationGroup(id));
    await this.#members?.changed();
  }

  override async onDisconnected(): Promise<void> {
    if (this.#directory.joinedBy(this.context.connectionId) === 0) return;
    this.#directory.removeConnection(this.context.connectionId);
    await this.#members?.changed();
  }
}

function checkId(organizationId: unknown): string {
  if (typeof organizationId !== 'string' || !ORGANIZATION_ID.test(organizationId)) {
    throw new HubError('An organization id is 1 to 64 lowercase letters, digits, ., - or _.');
  }
  return organizationId;
}
