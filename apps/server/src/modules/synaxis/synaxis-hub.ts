/**
 * `/hubs/synaxis`: organization notifications for authenticated members.
 * @module
 */
import { Hub, HubError, type Principal } from 'hubwire';
import type { OrganizationMembers } from './memberships.js';
import { ORGANIZATION_ID, organizationGroup, type SynaxisClient } from './model.js';

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

  /** Organizations a connection joined. */
  joinedBy(connectionId: string): number {
    return this.#byConnection.get(connectionId)?.size ?? 0;
  }
}

/** Organizations one connection may join. */
export const MAX_ORGANIZATIONS_PER_CONNECTION = 50;

/**
 * Clients call `JoinOrganization(id)` (members only; returns `{organizationId, joinedAt}`) and
 * `LeaveOrganization(id)`; members receive the organization's notifications.
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

  async joinOrganization(organizationId: string): Promise<{ organizationId: string; joinedAt: string }> {
    const id = checkId(organizationId);
    const user = this.context.user;
    if (user === undefined || !(await this.#isMember(user, id))) throw new HubError(`You are not a member of organization '${id}'.`);
    if (this.#directory.joinedBy(this.context.connectionId) >= MAX_ORGANIZATIONS_PER_CONNECTION) {
      throw new HubError(`A connection may join at most ${MAX_ORGANIZATIONS_PER_CONNECTION} organizations.`);
    }
    await this.groups.add(this.context.connectionId, organizationGroup(id));
    this.#directory.add(this.context.connectionId, id);
    // Answered once every node counts the new member (agents and the admin endpoint read it).
    await this.#members?.changed();
    return { organizationId: id, joinedAt: new Date().toISOString() };
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
