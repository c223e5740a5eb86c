/**
 * Following one campaign on /hubs/campaigns: a recoverable subscription of `@hubwire/client` to
 * `campaign:<id>` whose join is `SubscribeToCampaign(id, fromSequence)` with the last sequence the
 * view applied — after a reconnect, and after a reload too (the view comes back from
 * sessionStorage) — so the events missed are replayed once each, in order; the first visit, or a
 * history that no longer holds them, starts from a snapshot.
 * @module
 */
import type { HubClient } from '@hubwire/client';
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { CampaignRecovery, CampaignSnapshot, CampaignsClient, CampaignsServer } from '../../hubs/contracts';
import { useHub, type HubView } from '../../hubs/use-hub';
import { CampaignStore } from './campaign-store';
import type { CampaignView } from './campaign-view';

export const CAMPAIGNS_HUB = '/hubs/campaigns';

/** The group of a campaign, as the hub names it in positions. */
export function campaignGroup(campaignId: string): string {
  return `campaign:${campaignId}`;
}

/** A first subscription's answer is a snapshot; a recovering one's says whether it recovered. */
export function isSnapshot(answer: CampaignSnapshot | CampaignRecovery): answer is CampaignSnapshot {
  return 'lastEventSequence' in answer;
}

/** What the run view needs: the campaign's view, the hub's status, a join error. */
export interface CampaignRun {
  readonly view: CampaignView;
  readonly hub: HubView<CampaignsServer, CampaignsClient>;
  readonly error: string | undefined;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error)).replace(/^.*HubException: /, '');

/**
 * Subscribes `hub` to the campaign of `store` until the returned function runs. The view is the
 * subscription's position: each join asks from the view's last sequence, and the subscription
 * stands where the view stands once the answer is in (the replayed events are held until then and
 * delivered after it in order).
 */
export function followCampaign(hub: HubClient<CampaignsServer, CampaignsClient>, store: CampaignStore, onError: (message: string | undefined) => void): () => void {
  const campaignId = store.getView().campaignId;
  const subscription = hub.subscribe<CampaignSnapshot | CampaignRecovery>({
    group: campaignGroup(campaignId),
    join: async () => {
      const view = store.getView();
      const from = view.state === undefined ? null : view.lastSequence;
      const answer = await hub.invoke.subscribeToCampaign(campaignId, from);
      if (isSnapshot(answer)) {
        store.dispatch({ kind: 'snapshot', snapshot: answer });
        store.dispatch({ kind: 'synced', sync: { mode: 'snapshot', sequence: answer.lastEventSequence } });
      } else if (answer.recovered) {
        store.dispatch({ kind: 'synced', sync: { mode: 'recovered', from: from ?? 0, replayed: answer.replayed } });
      } else {
        // The hub sent ReceiveCampaignSnapshot before this answer: the view already starts from it.
        store.dispatch({ kind: 'synced', sync: { mode: 'snapshot', sequence: store.getView().lastSequence } });
      }
      onError(undefined);
      return answer;
    },
    positionOf: () => ({ offset: store.getView().lastSequence }),
    leave: () => hub.invoke.unsubscribeFromCampaign(campaignId),
    onError: (error) => onError(errorText(error)),
  });
  return () => void subscription.unsubscribe().catch(() => undefined);
}

/** Follows `campaignId` while mounted. */
export function useCampaignRun(campaignId: string): CampaignRun {
  const store = useMemo(() => new CampaignStore(campaignId), [campaignId]);
  const storeRef = useRef(store);
  storeRef.current = store;
  const view = useSyncExternalStore(store.subscribe, store.getView);
  const [error, setError] = useState<string | undefined>(undefined);
  const campaigns = useHub<CampaignsServer, CampaignsClient>(CAMPAIGNS_HUB, (hub) => [
    hub.on.ReceiveOrchestrationEvent((event) => storeRef.current.dispatch({ kind: 'event', event })),
    hub.on.ReceiveArtifactUpdate((update) => storeRef.current.dispatch({ kind: 'artifact', update })),
    hub.on.ReceiveCampaignSnapshot((snapshot) => storeRef.current.dispatch({ kind: 'snapshot', snapshot })),
    hub.on.ReceiveCancellationAcknowledgement((acknowledgement) => storeRef.current.dispatch({ kind: 'cancellation', acknowledgement })),
  ], { anonymous: true });
  const { hub } = campaigns;

  useEffect(() => (hub === undefined ? undefined : followCampaign(hub, store, setError)), [hub, store]);

  // A skipped number: start again from a fresh snapshot (it arrives as ReceiveCampaignSnapshot).
  const gap = view.gap !== undefined;
  useEffect(() => {
    if (!gap || hub === undefined || campaigns.state !== 'connected') return;
    hub.invoke.getCampaignSnapshot(campaignId).catch((failure: unknown) => setError(errorText(failure)));
  }, [gap, hub, campaigns.state, campaignId]);

  return { view, hub: campaigns, error };
}
