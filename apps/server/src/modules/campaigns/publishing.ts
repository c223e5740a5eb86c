/**
 * Sends a campaign's committed messages to its subscribers, in sequence order, with nothing
 * skipped. A store keeps how far a campaign's messages are known to be out (`publishedThrough`)
 * and its latest messages; whoever commits next — the run's owner, a node that took the run
 * over, a node that cancels — first sends what lies between that mark and its own messages.
 * So a node that died between committing and sending costs its subscribers nothing.
 *
 * Each message goes to the campaign's recoverable group at its own sequence number (see
 * campaign-history.ts), and the history drops a number it already holds: a message sent twice —
 * two nodes sending around the same moment (a cancel racing the owner's step), a mark that could
 * not be stored, a node killed after sending and before marking — reaches each subscriber once.
 * @module
 */
import type { Logger } from 'pino';
import { withTimeout } from '../../cluster/bounded.js';
import { sequenceOf, type CampaignMessage } from './run.js';
import type { CampaignStore } from './store.js';

/** Where the orchestrator's messages go (the hub's group of the campaign, in the server). */
export interface CampaignPublisher {
  /**
   * Sends one numbered message — an artifact update, or an orchestration event with the
   * cancellation acknowledgement it carries — to the campaign's subscribers. Resolves once it is
   * out; a number already sent may be dropped as a duplicate.
   */
  send(message: CampaignMessage): void | Promise<void>;
}

/** Sends messages of one campaign at a time; the caller runs one call per campaign at once. */
export class CampaignPublishing {
  readonly #store: CampaignStore;
  readonly #publisher: CampaignPublisher;
  readonly #logger: Logger;
  readonly #sendTimeoutMs: number;
  #halted = false;

  constructor(options: { store: CampaignStore; publisher: CampaignPublisher; logger: Logger; sendTimeoutMs?: number }) {
    this.#store = options.store;
    this.#publisher = options.publisher;
    this.#logger = options.logger;
    this.#sendTimeoutMs = options.sendTimeoutMs ?? 2000;
  }

  /**
   * Sends the messages after `publishedThrough` that precede `messages` (from the store), then
   * `messages`, then records how far it got. With no `messages`, sends every kept one after the mark.
   */
  async publish(campaignId: string, publishedThrough: number, messages: readonly CampaignMessage[]): Promise<void> {
    if (this.#halted) return;
    const first = messages.length === 0 ? Number.POSITIVE_INFINITY : sequenceOf(messages[0]!);
    let earlier: CampaignMessage[] = [];
    if (first > publishedThrough + 1) {
      try {
        earlier = (await this.#store.messagesAfter(campaignId, publishedThrough)).filter((message) => sequenceOf(message) < first);
      } catch (error) {
        this.#logger.warn({ err: error, campaignId, after: publishedThrough }, 'campaign messages another node committed could not be read; subscribers may see a gap');
      }
      const from = earlier.length === 0 ? first : sequenceOf(earlier[0]!);
      if (from > publishedThrough + 1 && from !== Number.POSITIVE_INFINITY) {
        this.#logger.warn({ campaignId, missing: { from: publishedThrough + 1, to: from - 1 } }, 'campaign messages no longer kept; subscribers see a gap and take a new snapshot');
      }
      if (earlier.length > 0) this.#logger.info({ campaignId, from, to: sequenceOf(earlier.at(-1)!) }, 'campaign messages another node committed are sent now');
    }
    const all = [...earlier, ...messages];
    if (all.length === 0) return;
    // One after the other: each send takes its sequence number as its history offset, and an
    // offset past the next one would leave a hole that drops the one before it. The mark follows
    // what was confirmed; a node killed before marking leaves its heir sends the history drops.
    let through: number | undefined;
    for (const message of all) {
      if (this.#halted) return;
      try {
        // Bounded: a Redis that takes the publish but never answers must not stall the run.
        await withTimeout(Promise.resolve().then(() => this.#publisher.send(message)), this.#sendTimeoutMs);
      } catch (error) {
        // Not marked: the next commit sends it (and what follows) again.
        this.#logger.error({ err: error, campaignId, sequence: sequenceOf(message) }, 'campaign message not sent');
        break;
      }
      through = sequenceOf(message);
    }
    if (this.#halted || through === undefined) return;
    await this.#store.markPublished(campaignId, through).catch((error: unknown) => {
      // The next commit sends these again: duplicates the history drops, never a gap.
      this.#logger.debug({ err: error, campaignId }, 'campaign publish mark not stored');
    });
  }

  /** Sends and records nothing more, as a process that died would (tests). */
  halt(): void {
    this.#halted = true;
  }
}
