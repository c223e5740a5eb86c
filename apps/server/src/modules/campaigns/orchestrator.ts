/**
 * Creates campaigns, runs their simulated orchestration and answers snapshots, on whatever
 * {@link CampaignStore} it is given: memory when the process runs alone, Redis when it is one
 * node of a cluster. Every change is computed from a loaded record and committed only if the
 * record is unchanged (and, for a run's steps, while this node holds the run's claim), then
 * published; so sequence numbers stay gap-free and strictly increasing whichever node writes,
 * and a snapshot — one stored record — names exactly the events it includes.
 *
 * A run is stepped by the node that owns it (its creator, or the node that took it over); any
 * node reads and cancels. Operations on one campaign run one at a time on a node.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock, type TimerHandle } from 'hubwire';
import { pino, type Logger } from 'pino';
import { MemoryCampaignStore } from './memory-store.js';
import { isFinal, type CampaignDetails, type CampaignSnapshot, type CampaignState, type CancellationAcknowledgement } from './model.js';
import { CampaignPublishing, type CampaignPublisher } from './publishing.js';
import { RunClaims } from './run-claims.js';
import { cancelCampaign, createCampaign, detailsOf, nextStep, snapshotOf, type CancelRequest, type NewCampaign } from './run.js';
import { CampaignStoreUnavailable, type CampaignStore, type RunClaim } from './store.js';

export type { CampaignPublisher } from './publishing.js';
export type { NewCampaign } from './run.js';

/** Options of {@link CampaignOrchestrator}. */
export interface CampaignOrchestratorOptions {
  readonly publisher: CampaignPublisher;
  /** Time between two steps of a run (ms). */
  readonly stepMs: number;
  /** Schedules the steps and stamps the messages. Default: the system clock. */
  readonly clock?: Clock;
  /** Run the steps on the clock (default); false leaves stepping to {@link CampaignOrchestrator.step}. */
  readonly autoRun?: boolean;
  /** Where campaigns live. Default: a {@link MemoryCampaignStore} keeping `maxCampaigns`. */
  readonly store?: CampaignStore;
  /** Campaigns kept by the default memory store; beyond it the oldest ended ones are forgotten. Default 500. */
  readonly maxCampaigns?: number;
  /** Runs that may be in progress at once (across the cluster on a shared store); more are refused. Default 100. */
  readonly maxActiveRuns?: number;
  /** How often this node renews its runs' claims and looks for runs nobody holds (ms), on a store whose claims expire. Default 1000. */
  readonly claimUpkeepMs?: number;
  readonly newId?: () => string;
  readonly logger?: Logger;
}

/** A campaign cannot be created now: too many runs in progress (429) or shutting down or storage unavailable (503). */
export class CampaignRefused extends Error {
  override readonly name = 'CampaignRefused';
  readonly status: 429 | 503;
  constructor(status: 429 | 503, message: string) {
    super(message);
    this.status = status;
  }
}

/** The outcome of a cancel request. */
export type CancelOutcome =
  | { readonly kind: 'cancelled'; readonly acknowledgement: CancellationAcknowledgement }
  | { readonly kind: 'ended'; readonly state: CampaignState }
  | { readonly kind: 'not-found' };

/** Tries of one change when other nodes keep committing first (a cancel racing a step). */
const MAX_ATTEMPTS = 5;

/** Creates campaigns, runs their simulated orchestration and answers snapshots. */
export class CampaignOrchestrator {
  readonly #store: CampaignStore;
  readonly #publishing: CampaignPublishing;
  readonly #claims: RunClaims;
  readonly #clock: Clock;
  readonly #stepMs: number;
  readonly #autoRun: boolean;
  readonly #maxActiveRuns: number;
  readonly #newId: () => string;
  readonly #logger: Logger;
  readonly #timers = new Map<string, TimerHandle>();
  /** The tail of each campaign's queue of operations on this node. */
  readonly #queues = new Map<string, Promise<unknown>>();
  #stopped = false;
  #stepsFailing = false;

  constructor(options: CampaignOrchestratorOptions) {
    if (!Number.isFinite(options.stepMs) || options.stepMs <= 0) throw new RangeError(`stepMs must be a positive number; got ${options.stepMs}.`);
    this.#store = options.store ?? new MemoryCampaignStore(options.maxCampaigns);
    this.#logger = options.logger ?? pino({ level: 'silent' });
    this.#publishing = new CampaignPublishing({ store: this.#store, publisher: options.publisher, logger: this.#logger });
    const upkeepMs = options.claimUpkeepMs ?? 1000;
    this.#claims = new RunClaims({
      store: this.#store,
      logger: this.#logger,
      renewMs: upkeepMs,
      scanMs: upkeepMs,
      onLost: (ids) => this.#lost(ids),
      onClaimed: (claims) => {
        for (const claim of claims) void this.#takeOver(claim);
      },
    });
    this.#clock = options.clock ?? systemClock;
    this.#stepMs = options.stepMs;
    this.#autoRun = options.autoRun ?? true;
    this.#maxActiveRuns = options.maxActiveRuns ?? 100;
    this.#newId = options.newId ?? randomUUID;
  }

  /** Starts keeping this node's claims and taking over runs nobody holds (a no-op on the memory store). */
  start(): void {
    if (!this.#stopped) this.#claims.start();
  }

  /** Creates a campaign (its `CampaignCreated` event is sequence 1) and starts its run on this node. */
  async create(input: NewCampaign): Promise<CampaignDetails> {
    if (this.#stopped) throw new CampaignRefused(503, 'The server is shutting down.');
    const change = createCampaign(this.#newId(), input, this.#clock.now());
    const id = change.record.id;
    let outcome;
    try {
      outcome = await this.#store.create(change, this.#maxActiveRuns);
    } catch (error) {
      if (error instanceof CampaignStoreUnavailable) throw new CampaignRefused(503, error.message);
      throw error;
    }
    if (outcome.kind === 'too-many') throw new CampaignRefused(429, `At most ${this.#maxActiveRuns} campaigns may run at once.`);
    this.#claims.add(outcome.claim);
    await this.#serial(id, () => this.#publishing.publish(id, 0, change.messages));
    this.#schedule(id);
    return detailsOf(change.record, this.#clock.now());
  }

  /** The campaign's details, or undefined for an unknown id. */
  async get(campaignId: string): Promise<CampaignDetails | undefined> {
    const stored = await this.#store.load(campaignId);
    return stored && detailsOf(stored.record, this.#clock.now());
  }

  /** True if the campaign exists. */
  async has(campaignId: string): Promise<boolean> {
    return (await this.#store.load(campaignId)) !== undefined;
  }

  /** The campaign's state as of its latest event, or undefined for an unknown id. */
  async snapshot(campaignId: string): Promise<CampaignSnapshot | undefined> {
    const stored = await this.#store.load(campaignId);
    return stored && snapshotOf(stored.record, this.#clock.now());
  }

  /** Every kept campaign, newest first. */
  async list(): Promise<CampaignDetails[]> {
    const now = this.#clock.now();
    return (await this.#store.list()).map((record) => detailsOf(record, now));
  }

  /** Runs in progress (on a shared store: in the whole cluster). */
  activeRuns(): Promise<number> {
    return this.#store.activeRuns();
  }

  /** True if this node runs the campaign's steps now. */
  owns(campaignId: string): boolean {
    return this.#claims.get(campaignId) !== undefined;
  }

  /** How many runs this node steps now. */
  get ownedRuns(): number {
    return this.#claims.size;
  }

  /**
   * Cancels a running campaign, from any node: pending artifacts get a `cancelled` update, then
   * a `CampaignCancelled` event, then the acknowledgement goes to the subscribers.
   */
  cancel(campaignId: string, request: CancelRequest): Promise<CancelOutcome> {
    return this.#serial(campaignId, async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const stored = await this.#store.load(campaignId);
        if (stored === undefined) return { kind: 'not-found' } as const;
        const cancelled = cancelCampaign(stored.record, request, this.#clock.now());
        if (cancelled === undefined) return { kind: 'ended', state: stored.record.state } as const;
        const outcome = await this.#store.commit(campaignId, stored.record.sequence, cancelled.change, undefined);
        if (outcome === 'gone') return { kind: 'not-found' } as const;
        if (outcome !== 'ok') continue;
        this.#forget(campaignId);
        await this.#publishing.publish(campaignId, stored.publishedThrough, cancelled.change.messages);
        return { kind: 'cancelled', acknowledgement: cancelled.acknowledgement } as const;
      }
      throw new CampaignStoreUnavailable(`Campaign '${campaignId}' kept changing during the cancel; try again.`);
    });
  }

  /**
   * Applies the next step of a run this node owns now (what the timer does every `stepMs`).
   * Resolves false when the run has ended, the id is unknown or another node runs it. Tests with
   * `autoRun: false` drive runs with it.
   */
  step(campaignId: string): Promise<boolean> {
    return this.#serial(campaignId, async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const claim = this.#claims.get(campaignId);
        if (claim === undefined) return false;
        const stored = await this.#store.load(campaignId);
        const change = stored && nextStep(stored.record, this.#clock.now());
        if (stored === undefined || change === undefined) {
          this.#forget(campaignId);
          return false;
        }
        const outcome = await this.#store.commit(campaignId, stored.record.sequence, change, claim);
        if (outcome === 'conflict') continue;
        if (outcome !== 'ok') {
          this.#logger.warn({ campaignId, outcome }, outcome === 'gone' ? 'campaign expired while it ran' : 'campaign run step refused: another node runs it now');
          this.#forget(campaignId);
          return false;
        }
        const running = !isFinal(change.record.state);
        if (!running) this.#forget(campaignId);
        await this.#publishing.publish(campaignId, stored.publishedThrough, change.messages);
        return running;
      }
      return true;
    });
  }

  /**
   * Graceful stop: no more steps or creates, in-flight operations finish, and this node's runs
   * are handed over (claims released: another node continues them within one scan). Campaigns
   * stay readable. On the memory store the runs just stop, as a lone process always did.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#claims.halt();
    this.#cancelTimers();
    await Promise.allSettled([...this.#queues.values()]);
    const claims = this.#claims.takeAll();
    if (!this.#store.claimsExpire || claims.length === 0) return;
    try {
      await this.#store.release(claims);
      this.#logger.info({ runs: claims.length }, 'campaign runs handed over to the other nodes');
    } catch (error) {
      this.#logger.warn({ err: error, runs: claims.length }, 'campaign run claims not released; other nodes take the runs over when the claims expire');
    }
  }

  /**
   * For tests: stops every timer and forgets the runs without releasing their claims, as a
   * process that dies (SIGKILL) would. Other nodes take the runs over once the claims expire.
   */
  abandon(): void {
    this.#stopped = true;
    this.#publishing.halt();
    this.#claims.halt();
    this.#cancelTimers();
    this.#claims.takeAll();
  }

  #schedule(campaignId: string): void {
    if (!this.#autoRun || this.#stopped || this.#timers.has(campaignId) || !this.owns(campaignId)) return;
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(campaignId);
      this.step(campaignId).then(
        (running) => {
          this.#stepsRecovered();
          if (running) this.#schedule(campaignId);
        },
        (error: unknown) => {
          // Paused, not lost: the same step is tried again one step later.
          this.#stepFailed(campaignId, error);
          this.#schedule(campaignId);
        },
      );
    }, this.#stepMs);
    this.#timers.set(campaignId, timer);
  }

  /** A run this node has just claimed: send what its old owner may not have, then step it. */
  async #takeOver(claim: RunClaim): Promise<void> {
    const id = claim.campaignId;
    if (this.#stopped) {
      this.#claims.delete(id);
      await this.#store.release([claim]).catch(() => undefined);
      return;
    }
    try {
      const stored = await this.#serial(id, async () => {
        const stored = await this.#store.load(id);
        if (stored === undefined || isFinal(stored.record.state)) return undefined;
        if (stored.record.sequence > stored.publishedThrough) await this.#publishing.publish(id, stored.publishedThrough, []);
        return stored;
      });
      if (stored === undefined) {
        this.#forget(id);
        return;
      }
      this.#logger.info({ campaignId: id, sequence: stored.record.sequence }, 'campaign run taken over');
    } catch (error) {
      // Still claimed: the run's timer retries; the claim is kept up or lost as usual.
      this.#logger.warn({ err: error, campaignId: id }, 'campaign run taken over, but its state could not be read yet');
    }
    this.#schedule(id);
  }

  #lost(campaignIds: readonly string[]): void {
    for (const id of campaignIds) {
      this.#timers.get(id)?.cancel();
      this.#timers.delete(id);
    }
    this.#logger.warn({ campaignIds }, 'campaign run claims lost (they expired before this node renewed them, or Redis lost them); this node stops running them');
  }

  /** Stops running a campaign on this node (ended, cancelled, or someone else's now). */
  #forget(campaignId: string): void {
    this.#claims.delete(campaignId);
    this.#timers.get(campaignId)?.cancel();
    this.#timers.delete(campaignId);
  }

  #cancelTimers(): void {
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
  }

  /** Runs `operation` after the campaign's earlier operations on this node. */
  #serial<T>(campaignId: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(campaignId) ?? Promise.resolve();
    const result = previous.then(operation, operation);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(campaignId, tail);
    void tail.then(() => {
      if (this.#queues.get(campaignId) === tail) this.#queues.delete(campaignId);
    });
    return result;
  }

  #stepFailed(campaignId: string, error: unknown): void {
    if (this.#stepsFailing) return;
    this.#stepsFailing = true;
    this.#logger.warn({ err: { message: error instanceof Error ? error.message : String(error) }, campaignId }, 'campaign runs paused: their store cannot be reached; they resume when it is back');
  }

  #stepsRecovered(): void {
    if (!this.#stepsFailing) return;
    this.#stepsFailing = false;
    this.#logger.info('campaign runs resumed');
  }
}
