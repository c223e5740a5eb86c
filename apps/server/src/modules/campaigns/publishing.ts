/**
 * Sends a campaign's committed messages to its subscribers, in sequence order, with nothing
 * skipped. A store keeps how far a campaign's messages are known to be out (`publishedThrough`)
 * and its latest messages; whoever commits next — the run's owner, a node that took the run
 * over, a node that cancels — first sends what lies between that mark and its own messages.
 * So a node that died between committing and sending costs its subscribers nothing. A message
 * may reach a subscriber twice only when two nodes send around the same moment (a cancel racing
 * the owner's step) or a mark could not be stored; clients drop a sequence number they already have.
 * @module
 */
import type { Logger } from 'pino';
import { withTimeout } from '../../cluster/bounded.js';
import type { ArtifactUpdate, CancellationAcknowledgement, OrchestrationEvent } from './model.js';
import { sequenceOf, type CampaignMessage } from './run.js';
import type { CampaignStore } from './store.js';

/** Where the orchestrator's messages go (the hub's group of the campaign, in the server). */
export interface CampaignPublisher {
  orchestrationEvent(event: OrchestrationEvent): void | Promise<void>;
  artifactUpdate(update: ArtifactUpdate): void | Promise<void>;
  cancellationAcknowledged(acknowledgement: CancellationAcknowledgement): void | Promise<void>;
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
    // Every send is started in this same tick, in order, and the mark right behind them: the
    // backplane publishes on the app's Redis connection (app.ts gives it that client), so Redis
    // gets the PUBLISHes and the mark in one write, and a node killed once its messages are out
    // has marked them too (its heir sends nothing twice). The sends are awaited together after.
    const sent: Promise<void>[] = [];
    for (const message of all) {
      for (const send of this.#sendsOf(message)) {
        if (this.#halted) return;
        sent.push(this.#start(campaignId, sequenceOf(message), send));
      }
    }
    if (this.#halted) return;
    const marked = this.#store.markPublished(campaignId, sequenceOf(all.at(-1)!)).catch((error: unknown) => {
      // The next commit sends these again: a duplicate, never a gap.
      this.#logger.debug({ err: error, campaignId }, 'campaign publish mark not stored');
    });
    try {
      // Bounded: a Redis that takes the publishes but never answers must not stall the run.
      await withTimeout(Promise.all(sent), this.#sendTimeoutMs);
    } catch (error) {
      this.#logger.error({ err: error, campaignId }, 'campaign messages not confirmed sent');
    }
    await marked;
  }

  /** Sends and records nothing more, as a process that died would (tests). */
  halt(): void {
    this.#halted = true;
  }

  #sendsOf(message: CampaignMessage): (() => void | Promise<void>)[] {
    if (message.kind === 'artifact') return [() => this.#publisher.artifactUpdate(message.update)];
    const { event, acknowledgement } = message;
    return [() => this.#publisher.orchestrationEvent(event), ...(acknowledgement === undefined ? [] : [() => this.#publisher.cancellationAcknowledged(acknowledgement)])];
  }

  /** Starts one send now (synchronously, so sends keep their order); its failure is logged, never thrown. */
  #start(campaignId: string, sequence: number, send: () => void | Promise<void>): Promise<void> {
    const failed = (error: unknown) => this.#logger.error({ err: error, campaignId, sequence }, 'campaign message not sent');
    try {
      return Promise.resolve(send()).catch(failed);
    } catch (error) {
      failed(error);
      return Promise.resolve();
    }
  }
}
