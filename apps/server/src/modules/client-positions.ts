/**
 * The position a client of a recoverable group says it stands at, as the hub methods that
 * recover (`JoinOrganization`, `JoinWorkflow`) take it: the last `{group, offset, epoch}` its
 * messages carried, or `{offset, epoch}` of a join's answer.
 * @module
 */
import { HubError, HubwireError, type StreamPosition } from 'hubwire';

/** Epochs are short ids (16 hex digits from the library); anything much longer is not one. */
const MAX_EPOCH_LENGTH = 64;

/**
 * `value` as a position, or undefined when it is absent (undefined or null). Other fields (the
 * `group` of a message's position) are ignored.
 *
 * @example
 * ```ts
 * checkPosition({ group: 'org:acme', offset: 41, epoch: '9f86d081884c7d65' }, 'fromPosition'); // { offset: 41, epoch: '9f86…' }
 * checkPosition(null, 'fromPosition'); // undefined
 * ```
 * @throws HubError naming `name` for anything else.
 */
export function checkPosition(value: unknown, name: string): StreamPosition | undefined {
  if (value === undefined || value === null) return undefined;
  const { offset, epoch } = (typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0 || typeof epoch !== 'string' || epoch.length === 0 || epoch.length > MAX_EPOCH_LENGTH) {
    throw new HubError(`${name} is the last position the client received, {offset, epoch} as it came (offset an integer of at least 0, epoch a string), or null.`);
  }
  return { offset, epoch };
}

/** True for the library's "the history (Redis) cannot be reached" error. */
export function isBackplaneError(error: unknown): boolean {
  return error instanceof HubwireError && error.code === 'HUB_ERR_BACKPLANE';
}
