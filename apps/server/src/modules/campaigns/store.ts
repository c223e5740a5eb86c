/**
 * Where campaigns live: the contract the orchestrator runs on, kept by the memory store (one
 * process, as the server always was) and the Redis store (every node of a cluster). A store
 * commits a change only if the campaign is still at the sequence number the change was computed
 * from, and — for a run's own steps — only while the committing node holds the run's claim
 * (fencing): that is what keeps sequence numbers gap-free and strictly increasing whichever node
 * writes. Claims are the per-run ownership a node renews; a store whose claims never expire
 * (memory) has no takeover.
 * @module
 */
import type { CampaignMessage, CampaignRecord, Change } from './run.js';

/** A campaign as stored, with how far its messages are known to have been published. */
export interface StoredCampaign {
  readonly record: CampaignRecord;
  /** The sequence number of the last message known to have reached the hub's backplane. */
  readonly publishedThrough: number;
}

/** A run's claim: the token a node committed its steps with. */
export interface RunClaim {
  readonly campaignId: string;
  readonly token: string;
}

/**
 * The outcome of a commit: `ok`; `conflict` (someone committed first: load again and
 * recompute); `not-owner` (the claim is gone or another node's: stop running it); `gone` (the
 * campaign expired).
 */
export type CommitOutcome = 'ok' | 'conflict' | 'not-owner' | 'gone';

/** The outcome of a create: the creator's claim on the new run, or too many runs in progress. */
export type CreateOutcome = { readonly kind: 'created'; readonly claim: RunClaim } | { readonly kind: 'too-many' };

/** The store cannot answer now (Redis unreachable or too slow): callers degrade, nothing crashes. */
export class CampaignStoreUnavailable extends Error {
  override readonly name = 'CampaignStoreUnavailable';
}

/** The campaigns' storage and the runs' claims. */
export interface CampaignStore {
  /** True if claims expire and must be renewed (a node that stops renewing loses its runs). */
  readonly claimsExpire: boolean;
  /** Stores a new campaign (its messages too) and claims its run for this node, unless `maxActiveRuns` are running. */
  create(change: Change, maxActiveRuns: number): Promise<CreateOutcome>;
  load(campaignId: string): Promise<StoredCampaign | undefined>;
  /** Every kept campaign, newest first. */
  list(): Promise<CampaignRecord[]>;
  /** Runs in progress (cluster-wide for a shared store). */
  activeRuns(): Promise<number>;
  /**
   * Stores `change` if the campaign is still at `expectedSequence`, has not ended, and, with a
   * `claim`, while that claim holds. A final record ends the run: its claim is dropped and it
   * never changes again.
   */
  commit(campaignId: string, expectedSequence: number, change: Change, claim: RunClaim | undefined): Promise<CommitOutcome>;
  /** The kept messages numbered after `sequence`, in order (a bounded tail: older ones may be gone). */
  messagesAfter(campaignId: string, sequence: number): Promise<CampaignMessage[]>;
  /** Records that the messages up to `sequence` reached the backplane (never moves back). */
  markPublished(campaignId: string, sequence: number): Promise<void>;
  /** Extends the claims; returns the ids of those this node no longer holds. */
  renew(claims: readonly RunClaim[]): Promise<string[]>;
  /** Gives the claims up (graceful stop), so other nodes take the runs over at once. */
  release(claims: readonly RunClaim[]): Promise<void>;
  /** Claims the runs nobody holds (their node died or let go) for this node. */
  claimOrphans(): Promise<RunClaim[]>;
}
