/**
 * The runs this node owns, and the upkeep that keeps ownership honest on a shared store: renew
 * every claim every `renewMs`, drop the runs whose claim was lost (it expired while this node
 * was paused or cut off, and another node took it), and every `scanMs` claim the runs nobody
 * holds. Timers run on real time whatever clock the simulation uses, because claim expiry is
 * Redis's real time. On a store whose claims never expire there is nothing to do.
 * @module
 */
import { systemClock, type TimerHandle } from 'hubwire';
import type { Logger } from 'pino';
import type { CampaignStore, RunClaim } from './store.js';

/** Options of {@link RunClaims}. */
export interface RunClaimsOptions {
  readonly store: CampaignStore;
  readonly logger: Logger;
  /** How often claims are renewed (ms). */
  readonly renewMs: number;
  /** How often this node looks for runs nobody holds (ms). */
  readonly scanMs: number;
  /** Claims that no longer hold (another node runs them now). */
  readonly onLost: (campaignIds: readonly string[]) => void;
  /** Runs this node has just claimed. */
  readonly onClaimed: (claims: readonly RunClaim[]) => void;
}

/** The claims this node holds, and their renewal and the takeover scan. */
export class RunClaims {
  readonly #options: RunClaimsOptions;
  readonly #claims = new Map<string, RunClaim>();
  #timers: TimerHandle[] = [];
  #renewing = false;
  #scanning = false;
  /** Whether the last upkeep call failed: an outage is logged when it starts and when it ends. */
  #failing = false;

  constructor(options: RunClaimsOptions) {
    this.#options = options;
  }

  add(claim: RunClaim): void {
    this.#claims.set(claim.campaignId, claim);
  }

  get(campaignId: string): RunClaim | undefined {
    return this.#claims.get(campaignId);
  }

  delete(campaignId: string): void {
    this.#claims.delete(campaignId);
  }

  /** Every claim held, and forgets them. */
  takeAll(): RunClaim[] {
    const all = [...this.#claims.values()];
    this.#claims.clear();
    return all;
  }

  get size(): number {
    return this.#claims.size;
  }

  /** Starts renewing and scanning (at once, then on their intervals); nothing for a store whose claims never expire. */
  start(): void {
    if (!this.#options.store.claimsExpire || this.#timers.length > 0) return;
    this.#timers = [systemClock.setInterval(() => void this.renew(), this.#options.renewMs), systemClock.setInterval(() => void this.scan(), this.#options.scanMs)];
    void this.scan();
  }

  /** Stops the timers (claims stay until released or expired). */
  halt(): void {
    for (const timer of this.#timers) timer.cancel();
    this.#timers = [];
  }

  /** Renews every claim now; resolves when done. */
  async renew(): Promise<void> {
    if (this.#renewing || this.#claims.size === 0) return;
    this.#renewing = true;
    const claims = [...this.#claims.values()];
    try {
      const lost = await this.#options.store.renew(claims);
      this.#recovered();
      // Only the claims still held with the token that was renewed: a run may have ended meanwhile.
      const gone = lost.filter((id) => this.#claims.get(id)?.token === claims.find((claim) => claim.campaignId === id)?.token);
      for (const id of gone) this.#claims.delete(id);
      if (gone.length > 0) this.#options.onLost(gone);
    } catch (error) {
      this.#failed('renew', error);
    } finally {
      this.#renewing = false;
    }
  }

  /** Claims the runs nobody holds now; resolves when done. */
  async scan(): Promise<void> {
    if (this.#scanning) return;
    this.#scanning = true;
    try {
      const claimed = await this.#options.store.claimOrphans();
      this.#recovered();
      for (const claim of claimed) this.#claims.set(claim.campaignId, claim);
      if (claimed.length > 0) this.#options.onClaimed(claimed);
    } catch (error) {
      this.#failed('scan', error);
    } finally {
      this.#scanning = false;
    }
  }

  #failed(what: string, error: unknown): void {
    if (this.#failing) return;
    this.#failing = true;
    this.#options.logger.warn({ err: { message: error instanceof Error ? error.message : String(error) }, what }, 'campaign run claims cannot be kept up: runs pause until the store is back');
  }

  #recovered(): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.#options.logger.info('campaign run claims are kept up again');
  }
}
