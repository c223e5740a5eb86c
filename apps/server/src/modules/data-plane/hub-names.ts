/**
 * From Azure's `{hub}` (and `?application=`) to a mapped hub path. A hub's name is the last
 * segment of its path, case-insensitive: `/hubs/chat` is `chat`, `Chat` or `CHAT`. With
 * `application=app` the name looked for is `app_chat`, as Azure prefixes hubs of an application.
 * @module
 */
import { DataPlaneError } from './results.js';

/** Azure's pattern for hub and application names. */
const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;

/** The `{hub}` name of a hub path: its last segment, lower-cased (`/hubs/Chat/` → `chat`). */
export function hubNameOf(path: string): string {
  const segments = path.split('/').filter((segment) => segment !== '');
  return (segments[segments.length - 1] ?? '').toLowerCase();
}

/**
 * The path of the hub named `hub` among `paths` (the first mapped one when two paths end alike).
 * Throws `InvalidArgument` for a name Azure would refuse and `Error.Hub.NotExisted` (404) when no
 * path has the name.
 *
 * @example
 * ```ts
 * resolveHubPath(['/hubs/events', '/hubs/chat'], 'Chat');          // '/hubs/chat'
 * resolveHubPath(['/hubs/acme_chat'], 'chat', 'acme');             // '/hubs/acme_chat'
 * ```
 */
export function resolveHubPath(paths: readonly string[], hub: string, application?: string): string {
  if (!NAME_PATTERN.test(hub)) throw new DataPlaneError('InvalidArgument', `'${hub}' is not a valid hub name: it starts with a letter and has at most 128 letters, digits, underscores or \`,.[]`, 'hub');
  if (application !== undefined && application !== '' && !NAME_PATTERN.test(application)) {
    throw new DataPlaneError('InvalidArgument', `'${application}' is not a valid application name.`, 'application');
  }
  const name = (application === undefined || application === '' ? hub : `${application}_${hub}`).toLowerCase();
  const path = paths.find((candidate) => hubNameOf(candidate) === name);
  if (path === undefined) throw new DataPlaneError('Error.Hub.NotExisted', `No hub named '${name}' is served here.`);
  return path;
}
