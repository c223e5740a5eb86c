/**
 * `/hubs/campaigns`: follow campaign orchestration runs live.
 * @module
 */
import { Hub, HubError } from 'hubwire';
import { isBackplaneError } from '../client-positions.js';
import type { CampaignMetrics, SnapshotSource } from './campaign-metrics.js';
import { campaignGroup, type CampaignRecovery, type CampaignSnapshot, type CampaignsClient } from './model.js';
import type { CampaignOrchestrator } from './orchestrator.js';
import { CampaignStoreUnavailable } from './store.js';

/** Campaigns one connection may follow at once. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;

const SUBSCRIPTIONS = 'campaigns.subscriptions';
const UNAVAILABLE = 'Campaigns are unavailable right now (their store cannot be reached); try again shortly.';
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Clients call `SubscribeToCampaign(id)` (returns the current snapshot),
 * `SubscribeToCampaign(id, fromSequence)` (replays the messages after `fromSequence`, or sends a
 * snapshot first when the history no longer holds them), `UnsubscribeFromCampaign(id)` and
 * `GetCampaignSnapshot(id)` (sends `ReceiveCampaignSnapshot` to the caller and returns it).
 * Subscribers receive `ReceiveOrchestrationEvent`, `ReceiveArtifactUpdate` and
 * `ReceiveCancellationAcknowledgement` for the campaign, each with its position as a trailing
 * argument (`{group, offset, epoch}`, offset = the sequence number).
 */
export class CampaignsHub extends Hub<CampaignsClient> {
  readonly #campaigns: CampaignOrchestrator;
  readonly #metrics: CampaignMetrics;

  constructor(campaigns: CampaignOrchestrator, metrics: CampaignMetrics) {
    super();
    this.#campaigns = campaigns;
    this.#metrics = metrics;
  }

  /**
   * Joins the campaign's group. Without `fromSequence` (absent or null) returns the current
   * snapshot, taken after joining: every message after its `lastEventSequence` reaches the
   * connection. With it, replays every message numbered above it, in order, then goes on live;
   * when the history no longer holds `fromSequence + 1` the caller gets `ReceiveCampaignSnapshot`
   * first (`recovered: false`). Works on any node: on Redis the history is shared.
   */
  async subscribeToCampaign(campaignId: string, fromSequence?: number | null): Promise<CampaignSnapshot | CampaignRecovery> {
    const id = await this.#known(campaignId);
    const from = checkSequence(fromSequence);
    const subscriptions = this.#subscriptions();
    if (!subscriptions.has(id) && subscriptions.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      throw new HubError(`A connection may follow at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} campaigns.`);
    }
    subscriptions.add(id);
    if (from === undefined) {
      await this.groups.add(this.context.connectionId, campaignGroup(id));
      // Taken after joining the group: every event after lastEventSequence reaches this connection.
      return this.#snapshot(id, 'subscribe');
    }
    let result;
    try {
      result = await this.groups.recover(this.context.connectionId, campaignGroup(id), {
        since: { offset: from },
        // Before any live message of the campaign: the client starts over from it.
        onMissed: async () => {
          await this.clients.caller.ReceiveCampaignSnapshot(await this.#snapshot(id, 'recovery'));
        },
      });
    } catch (error) {
      // Not in the group (recover undid the join): not a subscription either.
      subscriptions.delete(id);
      if (isBackplaneError(error)) throw new HubError(UNAVAILABLE);
      throw error;
    }
    return { recovered: result.recovered, lastSequence: result.position.offset, replayed: result.replayed, position: { group: campaignGroup(id), ...result.position } };
  }

  async unsubscribeFromCampaign(campaignId: string): Promise<void> {
    const id = checkId(campaignId);
    this.#subscriptions().delete(id);
    await this.groups.remove(this.context.connectionId, campaignGroup(id));
  }

  async getCampaignSnapshot(campaignId: string): Promise<CampaignSnapshot> {
    const snapshot = await this.#snapshot(checkId(campaignId), 'get');
    await this.clients.caller.ReceiveCampaignSnapshot(snapshot);
    return snapshot;
  }

  async #known(campaignId: unknown): Promise<string> {
    const id = checkId(campaignId);
    if (!(await available(this.#campaigns.has(id)))) throw new HubError(`Campaign '${id}' does not exist.`);
    return id;
  }

  async #snapshot(id: string, source: SnapshotSource): Promise<CampaignSnapshot> {
    const snapshot = await available(this.#metrics.snapshot(source, () => this.#campaigns.snapshot(id)));
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
    if (error instanceof CampaignStoreUnavailable) throw new HubError(UNAVAILABLE);
    throw error;
  }
}

/** `fromSequence`: absent (undefined or null) or a sequence number a client may have applied. */
function checkSequence(fromSequence: unknown): number | undefined {
  if (fromSequence === undefined || fromSequence === null) return undefined;
  if (typeof fromSequence !== 'number' || !Number.isSafeInteger(fromSequence) || fromSequence < 0) {
    throw new HubError('fromSequence is the sequence number of the last event the client applied: an integer of at least 0, or null.');
  }
  return fromSequence;
}

function checkId(campaignId: unknown): string {
  if (typeof campaignId !== 'string' || !ID.test(campaignId)) throw new HubError('A campaign id is 1 to 64 letters, digits, - or _.');
  return campaignId;
}
