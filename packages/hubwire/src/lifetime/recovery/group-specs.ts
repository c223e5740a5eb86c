/**
 * Which groups are recoverable, and with which limits: the `recovery` option of a hub checked once
 * and turned into a lookup whose answers are cached (a send asks it for every group send).
 * @module
 */
import { HubwireError } from '../../core/errors.js';
import type { HistoryLimits, RecoverableGroupSpec, RecoveryOptions, ResolvedGroupSpec, SlowConsumerPolicy } from './recovery-types.js';

/** The defaults of a {@link RecoverableGroupSpec} and of {@link RecoveryOptions.metaTtl}. */
export const RecoveryDefaults = {
  maxCount: 1000,
  maxAge: 300_000,
  positionArgument: true,
  highWaterMark: 65_536,
  maxQueued: 1000,
  metaTtl: 86_400_000,
} as const;

/** Group names whose answer is remembered; beyond it the oldest answers are forgotten. */
const CACHE_LIMIT = 10_000;

/**
 * The resolved specs of one hub. `resolve(group)` answers the first spec that matches, or
 * undefined; answers are cached in a bounded map, so a hub sending to a million group names
 * holds at most {@link CACHE_LIMIT} of them.
 *
 * @example
 * ```ts
 * const specs = new GroupSpecs({ groups: [{ match: 'org:*', maxCount: 100 }] });
 * specs.resolve('org:1')?.maxCount; // 100
 * specs.resolve('room:1'); // undefined
 * ```
 */
export class GroupSpecs {
  readonly #specs: readonly ResolvedGroupSpec[];
  readonly #cache = new Map<string, ResolvedGroupSpec | null>();
  readonly #limits = new WeakMap<ResolvedGroupSpec, HistoryLimits>();
  /** Milliseconds a history's epoch and top outlive its last entry. */
  readonly metaTtl: number;

  /** Throws HUB_ERR_INVALID_OPTION for options that make no sense (a `maxCount` of 0, an unknown policy, …). */
  constructor(options: RecoveryOptions) {
    if (options === null || typeof options !== 'object' || !Array.isArray(options.groups)) {
      throw invalid('recovery.groups must be an array of recoverable group specs.');
    }
    this.metaTtl = positiveInteger(options.metaTtl, RecoveryDefaults.metaTtl, 'recovery.metaTtl');
    this.#specs = options.groups.map((spec, i) => resolveSpec(spec, `recovery.groups[${i}]`));
    for (const spec of this.#specs) this.#limits.set(spec, { maxCount: spec.maxCount, maxAge: spec.maxAge, metaTtl: this.metaTtl });
  }

  /** Whether any spec was given. */
  get empty(): boolean {
    return this.#specs.length === 0;
  }

  /** The first spec matching `group`, or undefined when the group is not recoverable. */
  resolve(group: string): ResolvedGroupSpec | undefined {
    const cached = this.#cache.get(group);
    if (cached !== undefined) return cached ?? undefined;
    const found = this.#specs.find((spec) => spec.matches(group)) ?? null;
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(group, found);
    return found ?? undefined;
  }

  /** The store limits of a resolved spec (one object per spec, made once). */
  limits(spec: ResolvedGroupSpec): HistoryLimits {
    return this.#limits.get(spec)!;
  }
}

function resolveSpec(spec: RecoverableGroupSpec, where: string): ResolvedGroupSpec {
  if (spec === null || typeof spec !== 'object') throw invalid(`${where} must be an object.`);
  const slow = spec.slowConsumer ?? {};
  if (slow === null || typeof slow !== 'object') throw invalid(`${where}.slowConsumer must be an object.`);
  if (spec.positionArgument !== undefined && typeof spec.positionArgument !== 'boolean') throw invalid(`${where}.positionArgument must be a boolean.`);
  return {
    matches: matcher(spec.match, `${where}.match`),
    maxCount: positiveInteger(spec.maxCount, RecoveryDefaults.maxCount, `${where}.maxCount`),
    maxAge: positiveInteger(spec.maxAge, RecoveryDefaults.maxAge, `${where}.maxAge`),
    positionArgument: spec.positionArgument ?? RecoveryDefaults.positionArgument,
    policy: policy(slow.policy, `${where}.slowConsumer.policy`),
    highWaterMark: integerAtLeast(slow.highWaterMark, RecoveryDefaults.highWaterMark, 0, `${where}.slowConsumer.highWaterMark`),
    maxQueued: positiveInteger(slow.maxQueued, RecoveryDefaults.maxQueued, `${where}.slowConsumer.maxQueued`),
  };
}

/** `org:*` → /^org:.*$/ ; a name without `*` compares exactly. */
function matcher(match: RecoverableGroupSpec['match'], where: string): (group: string) => boolean {
  if (typeof match === 'function') return (group) => match(group) === true;
  if (match instanceof RegExp) {
    // A global or sticky RegExp keeps lastIndex between tests and would answer differently each time.
    const pattern = match.global || match.sticky ? new RegExp(match.source, match.flags.replace(/[gy]/g, '')) : match;
    return (group) => pattern.test(group);
  }
  if (typeof match !== 'string' || match.length === 0) throw invalid(`${where} must be a group name, a glob, a RegExp or a predicate.`);
  if (!match.includes('*')) return (group) => group === match;
  const pattern = new RegExp(`^${match.split('*').map(escapeRegExp).join('.*')}$`, 's');
  return (group) => pattern.test(group);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function policy(value: SlowConsumerPolicy | undefined, where: string): SlowConsumerPolicy {
  if (value === undefined) return { action: 'disconnect' };
  if (value === null || typeof value !== 'object') throw invalid(`${where} must be { action: 'disconnect' | 'drop-oldest' | 'keep-latest' }.`);
  switch (value.action) {
    case 'disconnect':
    case 'drop-oldest':
      return value;
    case 'keep-latest':
      if (typeof value.key !== 'function') throw invalid(`${where}: keep-latest needs a key(target, args) function.`);
      return value;
    default:
      throw invalid(`${where}.action must be 'disconnect', 'drop-oldest' or 'keep-latest'.`);
  }
}

function positiveInteger(value: number | undefined, fallback: number, where: string): number {
  return integerAtLeast(value, fallback, 1, where);
}

function integerAtLeast(value: number | undefined, fallback: number, min: number, where: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw invalid(`${where} must be an integer of at least ${min}; got ${String(value)}.`);
  return value;
}

function invalid(message: string): HubwireError {
  return new HubwireError('HUB_ERR_INVALID_OPTION', message, { typeName: 'ArgumentException' });
}
