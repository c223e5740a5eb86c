/**
 * Group positions as Hubwire sends them (a trailing `{ group, offset, epoch }` argument on each
 * message of a recoverable group), and how a message's position relates to the last one seen.
 * @module
 */

/** Where a client stands in a group's stream. `epoch` may be unknown (an application sequence number). */
export interface StreamPosition {
  readonly offset: number;
  readonly epoch?: string;
}

/**
 * The trailing argument of every message of a recoverable group: the group, the message's
 * offset (1, 2, 3, … without gaps) and the history's epoch.
 *
 * @example
 * ```ts
 * interface OrgClient { Notify(text: string, position?: GroupPosition): void }
 * ```
 */
export interface GroupPosition {
  readonly group: string;
  readonly offset: number;
  readonly epoch: string;
}

/** The position a message carries as its last argument, if it carries one. */
export function positionArgument(args: readonly unknown[] | undefined): GroupPosition | undefined {
  const last = args === undefined || args.length === 0 ? undefined : args[args.length - 1];
  if (typeof last !== 'object' || last === null || Array.isArray(last)) return undefined;
  const { group, offset, epoch } = last as Record<string, unknown>;
  if (typeof group !== 'string' || typeof epoch !== 'string' || typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  return { group, offset, epoch };
}

/**
 * How `incoming` follows `last`: `first` (nothing seen yet), `next` (one more, same epoch),
 * `duplicate` (at or before `last`), or `gap` (further ahead, or another epoch: the history
 * started again). An unknown epoch on either side compares offsets only.
 */
export function follows(last: StreamPosition | undefined, incoming: StreamPosition): 'first' | 'next' | 'duplicate' | 'gap' {
  if (last === undefined) return 'first';
  if (last.epoch !== undefined && incoming.epoch !== undefined && last.epoch !== incoming.epoch) return 'gap';
  if (incoming.offset <= last.offset) return 'duplicate';
  return incoming.offset === last.offset + 1 ? 'next' : 'gap';
}

/**
 * The default reading of a join's answer: `position` (Hubwire's `recover()` result), else
 * `lastEventSequence` (a snapshot), else the answer itself when it is a position.
 */
export function defaultPositionOf(result: unknown): StreamPosition | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const record = result as Record<string, unknown>;
  const fromObject = (value: unknown): StreamPosition | undefined => {
    if (typeof value !== 'object' || value === null) return undefined;
    const { offset, epoch } = value as Record<string, unknown>;
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
    return typeof epoch === 'string' ? { offset, epoch } : { offset };
  };
  if (record['position'] !== undefined) return fromObject(record['position']);
  const sequence = record['lastEventSequence'];
  if (typeof sequence === 'number' && Number.isSafeInteger(sequence) && sequence >= 0) return { offset: sequence };
  return fromObject(record);
}

/** The default reading of whether a join recovered: its `recovered` field, if it is a boolean. */
export function defaultRecoveredOf(result: unknown): boolean | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const recovered = (result as Record<string, unknown>)['recovered'];
  return typeof recovered === 'boolean' ? recovered : undefined;
}
