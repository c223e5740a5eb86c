/**
 * Runs a leader's background work while its lease is held: started when the lease is won (after
 * the state the previous leader recorded is restored), stopped at once when it is lost. The
 * events simulator and the synaxis agents both lead this way.
 * @module
 */
import type { Logger } from 'pino';
import type { Lease } from './lease.js';

/** Work one node of the cluster runs at a time. */
export interface LeaderWork {
  start(): void;
  stop(): void;
}

/** How a new leader picks up where the last one stopped. */
export interface Takeover {
  /** Restores the recorded state into the work; a rejection is logged and the work starts from its own. */
  restore(): Promise<unknown>;
  readonly logger: Logger;
  /** The warning logged when `restore` fails. */
  readonly failed: string;
}

/**
 * Starts `work` whenever `lease` is won and stops it when it is lost. With `takeover`, a win
 * first restores the recorded state; a loss (or a newer win) while that is under way keeps the
 * work from starting on a lease it no longer holds. Returns a function that stops following.
 *
 * @example
 * ```ts
 * followLease(lease, simulator, { restore: () => state.load().then((s) => s && simulator.restore(s)), logger, failed: 'state not readable' });
 * app.onStop(async () => { simulator.stop(); await lease.stop(); });
 * ```
 */
export function followLease(lease: Lease, work: LeaderWork, takeover?: Takeover): () => void {
  let turn = 0;
  return lease.onChange((held) => {
    const mine = ++turn;
    if (!held) {
      work.stop();
      return;
    }
    if (takeover === undefined) {
      work.start();
      return;
    }
    takeover
      .restore()
      .then(
        () => undefined,
        (error: unknown) => takeover.logger.warn({ err: { message: (error as Error).message } }, takeover.failed),
      )
      .finally(() => {
        if (mine === turn && lease.held) work.start();
      });
  });
}
