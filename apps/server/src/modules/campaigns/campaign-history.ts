/**
 * A campaign's group `campaign:<id>` is a recoverable group whose offsets ARE the campaign's
 * sequence numbers: each numbered message is published as one history entry at its own sequence
 * (an orchestration event together with the cancellation acknowledgement it carries), so a
 * client that says "I have applied up to n" is replayed n+1, n+2, … in order, and a message sent
 * twice (a takeover, a cancel racing the owner) is dropped by the history as a duplicate.
 * @module
 */
import type { PublishedMessage, RecoveryOptions } from 'hubwire';
import { campaignGroup } from './model.js';
import { MAX_ARTIFACTS } from './routes.js';
import type { CampaignMessage } from './run.js';

/** The history window of every campaign (the module takes smaller ones for tests). */
export interface CampaignHistoryWindow {
  /** Entries kept per campaign. */
  readonly maxCount: number;
  /** How long an entry is kept (ms). */
  readonly maxAge: number;
}

/** Entries kept per campaign: more than the 3 × 12 + 7 = 43 numbered messages of the longest run. */
export const CAMPAIGN_HISTORY_MAX_COUNT = 64;
/** How long entries stay after the end of the longest run (ms): a client away this long still recovers. */
export const CAMPAIGN_HISTORY_GRACE_MS = 10 * 60_000;
/**
 * How long a history's epoch and top are kept after its last entry (ms), at least `maxAge`. A
 * campaign's history is worth little once its entries are gone (fromSequence carries no epoch),
 * and in memory its entries stay until then, so this bounds memory to the campaigns of the last hour.
 */
export const CAMPAIGN_HISTORY_META_TTL_MS = 60 * 60_000;

/**
 * The default window for runs stepping every `stepMs`: 64 entries, and the longest run's whole
 * life (2 × 12 + 7 steps) plus 10 minutes.
 *
 * @example
 * ```ts
 * campaignHistoryWindow(1500); // { maxCount: 64, maxAge: 646500 }
 * ```
 */
export function campaignHistoryWindow(stepMs: number): CampaignHistoryWindow {
  return { maxCount: CAMPAIGN_HISTORY_MAX_COUNT, maxAge: (2 * MAX_ARTIFACTS + 7) * stepMs + CAMPAIGN_HISTORY_GRACE_MS };
}

/** The `recovery` option of the campaigns hub: `campaign:*` with `window`. */
export function campaignRecovery(window: CampaignHistoryWindow): RecoveryOptions {
  return { groups: [{ match: campaignGroup('*'), maxCount: window.maxCount, maxAge: window.maxAge }], metaTtl: Math.max(CAMPAIGN_HISTORY_META_TTL_MS, window.maxAge) };
}

/** The client calls of one history entry: the message, and a cancel's acknowledgement right behind its event. */
export function entryOf(message: CampaignMessage): PublishedMessage[] {
  if (message.kind === 'artifact') return [{ target: 'ReceiveArtifactUpdate', arguments: [message.update] }];
  const entry: PublishedMessage[] = [{ target: 'ReceiveOrchestrationEvent', arguments: [message.event] }];
  if (message.acknowledgement !== undefined) entry.push({ target: 'ReceiveCancellationAcknowledgement', arguments: [message.acknowledgement] });
  return entry;
}
