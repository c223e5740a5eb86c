/**
 * What the chaos driver and its node processes say to each other: one JSON object per line, the
 * driver's commands on the node's stdin, the node's answers and events on its stdout. A pipe
 * rather than an HTTP endpoint: it needs no port, and a node whose driver died sees its stdin end
 * and exits by itself.
 * @module
 */
import type { GroupPosition, RecoveryResult, StreamPosition } from 'hubwire';

/** The hub's path on every node. */
export const CHAOS_HUB_PATH = '/chaos';

/** The groups of the scenario match `g:*`: the only recoverable ones. */
export function groupName(index: number): string {
  return `g:${index}`;
}

/** Messages `from`, `from + 1`, … `from + count - 1` of one sender to one group, sent one after the other. */
export interface BurstSend {
  readonly group: string;
  readonly from: number;
  readonly count: number;
}

/** A command of the driver. */
export type NodeCommand =
  /**
   * Sends every `sends` item (the items concurrently, each item's messages in order, each send
   * awaited). With `dieAfter`, once that many messages of this burst were sent the node writes a
   * `dying` event and SIGKILLs itself, with the other items' sends still in flight: the kill falls
   * mid-burst however fast the machine is (a SIGKILL from the driver, on a progress line, came
   * after the burst had ended on a quick run).
   */
  | { readonly id: number; readonly op: 'burst'; readonly sends: readonly BurstSend[]; readonly dieAfter?: number }
  /** The current top of each group. */
  | { readonly id: number; readonly op: 'positions'; readonly groups: readonly string[] }
  /** The node's counters. */
  | { readonly id: number; readonly op: 'stats' };

/** How many messages of each group a burst sent (a prefix of its `from…` range each), and what failed. */
export interface BurstResult {
  readonly sent: Readonly<Record<string, number>>;
  readonly failures: readonly string[];
}

/** A node's counters (the hub's recovery metrics and what its logger saw). */
export interface NodeStats {
  readonly connectionsOpened: number;
  readonly recoveryRecovered: number;
  readonly recoveryMissed: number;
  readonly recoveryReplayed: number;
  readonly recoveryGapsFilled: number;
  readonly warnings: number;
}

/** A line a node writes. */
export type NodeLine =
  | { readonly event: 'listening'; readonly port: number }
  /** Before a node's own SIGKILL: what its burst had sent by then (the rest of it was in flight or not yet sent). */
  | { readonly event: 'dying'; readonly id: number; readonly sent: Readonly<Record<string, number>> }
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** What a client hands `Join`: its last position in the group (no epoch before its first message), or null for a live join. */
export type Since = { readonly offset: number; readonly epoch?: string } | null;

/** The client methods of the hub: a tagged group message (the position trails) and the snapshot hook's message. */
export interface ChaosClientMethods {
  receive(sender: number, seq: number): void;
  snapshot(group: string, position: StreamPosition): void;
}

export type { GroupPosition, RecoveryResult, StreamPosition };
