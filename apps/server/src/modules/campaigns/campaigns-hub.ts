/**
 * `/hubs/campaigns`: follow campaign orchestration runs live.
 * @module
 */
import { Hub, HubError } from 'hubwire';
import { campaignGroup, type CampaignSnapshot, type CampaignsClient } from './model.js';
import type { CampaignOrchestrator } from './orchestrator.js';
import { CampaignStoreUnavailable } from './store.js';

/** Campaigns one connection may follow at once. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;

const SUBSCRIPTIONS = 'campaigns.subscriptions';
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Clients call `SubscribeToCampaign(id)` (returns the current snapshot), `UnsubscribeFromCampaign(id)`
 * and `GetCampaignSnapshot(id)` (sends `ReceiveCampaignSnapshot` to the caller and returns it).
 * Subscribers receive `ReceiveOrchestrationEvent`, `ReceiveArtifactUpdate` and
 * `ReceiveCancellationAcknowledgement` for the campaign.
 */
export class CampaignsHub extends Hub<CampaignsClient> {
  readonly #campaigns: CampaignOrchestrator;

  constructor(campaigns: CampaignOrchestrator) {
    super();
    this.#campaigns = campaigns;
  }

  async subscribeToCampaign(campaignId: string): Promise<CampaignSnapshot> {
    const id = await this.#known(campaignId);
    const subscriptions = this.#subscriptions();
    if (!subscriptions.has(id) && subscriptions.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      throw new HubError(`A connection may follow at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} campaigns.`);
    }
    subscriptions.add(id);
    await this.groups.add(this.context.connectionId, campaignGroup(id));
    // Taken after joining the group: every event after lastEventSequence reaches this connection.
    return this.#snapshot(id);
  }

  async unsubscribeFromCampaign(campaignId: string): Promise<void> {
    const id = checkId(campaignId);
    this.#subscriptions().delete(id);
    await this.groups.remove(this.context.connectionId, campaignGroup(id));
  }

  async getCampaignSnapshot(campaignId: string): Promise<CampaignSnapshot> {
    const snapshot = await this.#snapshot(checkId(campaignId));
    await this.clients.caller.ReceiveCampaignSnapshot(snapshot);
    return snapshot;
  }

  async #known(campaignId: unknown): Promise<string> {
    const id = checkId(campaignId);
    if (!(await available(this.#campaigns.has(id)))) throw new HubError(`Campaign '${id}' does not exist.`);
    return id;
  }

  async #snapshot(id: string): Promise<CampaignSnapshot> {
    const snapshot = await available(this.#campaigns.snapshot(id));
    if (snapshot === undefined) throw new HubError(`Campaign '${id}' does not exist.`);
    return snapshot;
  }

  #subscriptions(): Set<string> {
    let subscriptions = this.context.items.get(SUBSCRIPTIONS) as Set<string> | undefined;
    if (subscriptions === undefined) this.context.items.set(SUBSCRIPTIONS, (subscriptions = new Set()));
    return subscriptions;
  }
}

/** A store that cannot be reached (Redis down) is a clear error for the caller, not an internal one. */
async function available<T>(answer: Promise<T>): Promise<T> {
  try {
    return await answer;
  } catch (error) {
    if (error instanceof CampaignStoreUnavailable) throw new HubError('Campaigns are unavailable right now (their store cannot be reached); try again shortly.');
    throw error;
  }
}

function checkId(campaignId: unknown): string {
  if (typeof campaignId !== 'string' || !ID.test(campaignId)) throw new HubError('A campaign id is 1 to 64 letters, digits, - or _.');
  return campaignId;
}
