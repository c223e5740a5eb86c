/**
 * The campaigns of a process that runs alone: a Map, the latest `maxCampaigns` kept (running
 * ones never dropped), forgotten on restart. One process is the only node, so its claims never
 * expire and nobody takes a run over.
 * @module
 */
import { isFinal } from './model.js';
import { sequenceOf, type CampaignMessage, type CampaignRecord, type Change } from './run.js';
import type { CampaignStore, CommitOutcome, CreateOutcome, RunClaim, StoredCampaign } from './store.js';

/** Messages kept per campaign for {@link CampaignStore.messagesAfter}: more than one change makes. */
export const KEPT_MESSAGES = 32;

interface Entry {
  record: CampaignRecord;
  publishedThrough: number;
  /** The latest messages; emptied once the run has ended and all of them are out. */
  messages: CampaignMessage[];
}

/** {@link CampaignStore} in memory. */
export class MemoryCampaignStore implements CampaignStore {
  readonly claimsExpire = false;
  readonly #entries = new Map<string, Entry>();
  readonly #maxCampaigns: number;

  /** @param maxCampaigns campaigns kept; beyond it the oldest ended ones are forgotten. */
  constructor(maxCampaigns = 500) {
    this.#maxCampaigns = maxCampaigns;
  }

  async create(change: Change, maxActiveRuns: number): Promise<CreateOutcome> {
    // Checked and stored with no await between: two creates cannot both take the last place.
    if (this.#active() >= maxActiveRuns) return { kind: 'too-many' };
    const id = change.record.id;
    this.#entries.set(id, { record: change.record, publishedThrough: 0, messages: [...change.messages] });
    this.#evict();
    return { kind: 'created', claim: { campaignId: id, token: 'local' } };
  }

  async load(campaignId: string): Promise<StoredCampaign | undefined> {
    const entry = this.#entries.get(campaignId);
    return entry && { record: entry.record, publishedThrough: entry.publishedThrough };
  }

  async list(): Promise<CampaignRecord[]> {
    return [...this.#entries.values()].reverse().map((entry) => entry.record);
  }

  async activeRuns(): Promise<number> {
    return this.#active();
  }

  #active(): number {
    let count = 0;
    for (const entry of this.#entries.values()) if (!isFinal(entry.record.state)) count += 1;
    return count;
  }

  async commit(campaignId: string, expectedSequence: number, change: Change): Promise<CommitOutcome> {
    const entry = this.#entries.get(campaignId);
    if (entry === undefined) return 'gone';
    if (entry.record.sequence !== expectedSequence || isFinal(entry.record.state)) return 'conflict';
    entry.record = change.record;
    entry.messages.push(...change.messages);
    if (entry.messages.length > KEPT_MESSAGES) entry.messages.splice(0, entry.messages.length - KEPT_MESSAGES);
    return 'ok';
  }

  async messagesAfter(campaignId: string, sequence: number): Promise<CampaignMessage[]> {
    return (this.#entries.get(campaignId)?.messages ?? []).filter((message) => sequenceOf(message) > sequence);
  }

  async markPublished(campaignId: string, sequence: number): Promise<void> {
    const entry = this.#entries.get(campaignId);
    if (entry === undefined || sequence <= entry.publishedThrough) return;
    entry.publishedThrough = sequence;
    if (isFinal(entry.record.state) && sequence >= entry.record.sequence) entry.messages = [];
  }

  async renew(): Promise<string[]> {
    return [];
  }

  async release(_claims: readonly RunClaim[]): Promise<void> {}

  async claimOrphans(): Promise<RunClaim[]> {
    return [];
  }

  #evict(): void {
    if (this.#entries.size <= this.#maxCampaigns) return;
    for (const [id, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxCampaigns) break;
      if (isFinal(entry.record.state)) this.#entries.delete(id);
    }
  }
}
