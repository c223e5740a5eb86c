/**
 * The organization a page follows on /hubs/synaxis, as our users' RealtimeService does it
 * (docs/client.md): each organization a recoverable subscription (`org:<id>`), a switch joins the
 * new one first and leaves the previous one only once the join succeeded — so a refused switch
 * (not a member) keeps the current organization — and switches run one after the other.
 * @module
 */
import type { HubClient, Subscription } from '@hubwire/client';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { OrganizationJoin, SynaxisClient, SynaxisServer } from '../../hubs/contracts';

/** The group of an organization, as the hub names it in positions. */
export function organizationGroup(organizationId: string): string {
  return `org:${organizationId}`;
}

/** What a re-join after a reconnect did. */
export interface OrganizationRecovery {
  readonly organizationId: string;
  readonly recovered: boolean;
  readonly replayed: number;
}

/** The organization followed and how to switch. */
export interface OrganizationFollow {
  /** The organization joined (undefined: none yet). */
  readonly active: string | undefined;
  /** The organization being joined. */
  readonly switching: string | undefined;
  /** The last re-join after a reconnect. */
  readonly recovery: OrganizationRecovery | undefined;
  /** Joins `organizationId`, then leaves the previous one; rejects with the hub's refusal (the previous one stays). */
  switchTo(organizationId: string): Promise<void>;
}

/** Follows one organization at a time on `hub` (a new client starts with none). */
export function useOrganization(hub: HubClient<SynaxisServer, SynaxisClient> | undefined): OrganizationFollow {
  const current = useRef<{ readonly id: string; readonly subscription: Subscription<OrganizationJoin> } | undefined>(undefined);
  const queue = useRef<Promise<unknown>>(Promise.resolve());
  const [active, setActive] = useState<string | undefined>(undefined);
  const [switching, setSwitching] = useState<string | undefined>(undefined);
  const [recovery, setRecovery] = useState<OrganizationRecovery | undefined>(undefined);

  useEffect(() => {
    current.current = undefined;
    queue.current = Promise.resolve();
    setActive(undefined);
    setRecovery(undefined);
    return undefined;
  }, [hub]);

  const join = useCallback(
    async (organizationId: string) => {
      if (hub === undefined) throw new Error('Not connected to the synaxis hub yet.');
      if (current.current?.id === organizationId) return;
      setSwitching(organizationId);
      let member = false;
      const subscription = hub.subscribe<OrganizationJoin>({
        group: organizationGroup(organizationId),
        join: (since) => hub.invoke.joinOrganization(organizationId, since?.epoch === undefined ? null : { offset: since.offset, epoch: since.epoch }),
        // A refused join has nothing to leave.
        leave: () => (member ? hub.invoke.leaveOrganization(organizationId) : Promise.resolve()),
        onRecovered: (_answer, info) => setRecovery({ organizationId, recovered: true, replayed: info.replayed }),
        onMissed: () => setRecovery({ organizationId, recovered: false, replayed: 0 }),
      });
      try {
        await subscription.joined;
        member = true;
      } catch (error) {
        await subscription.unsubscribe().catch(() => undefined);
        throw error;
      } finally {
        setSwitching(undefined);
      }
      const previous = current.current;
      current.current = { id: organizationId, subscription };
      setActive(organizationId);
      setRecovery(undefined);
      await previous?.subscription.unsubscribe();
    },
    [hub],
  );

  const switchTo = useCallback(
    (organizationId: string) => {
      const next = queue.current.then(() => join(organizationId));
      queue.current = next.catch(() => undefined);
      return next;
    },
    [join],
  );

  return { active, switching, recovery, switchTo };
}
