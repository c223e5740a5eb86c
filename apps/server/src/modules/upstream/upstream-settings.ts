/**
 * Azure SignalR's upstream settings: an ordered list of items, each a URL template and three
 * patterns (hub, category, event). An event goes to the first item whose three patterns match it.
 * @module
 */
import type { UpstreamSetting } from '../../config.js';
import type { UpstreamCategory } from './upstream-types.js';

/** One pattern compiled: `undefined` matches anything (`*`), else the lower-cased names. */
type Matcher = ReadonlySet<string> | undefined;

interface CompiledSetting {
  readonly setting: UpstreamSetting;
  readonly hub: Matcher;
  readonly category: Matcher;
  readonly event: Matcher;
}

/**
 * The configured upstream items, matched as Azure matches them: `*` matches anything, otherwise a
 * name or names separated by commas, compared case-insensitively; the first matching item wins.
 *
 * @example
 * ```ts
 * const settings = new UpstreamSettings([{ urlTemplate: 'https://fn.example.com/api/{hub}/{category}/{event}?code=k', hubPattern: 'chat', categoryPattern: '*', eventPattern: '*' }]);
 * const item = settings.match('chat', 'connections', 'connected');
 * if (item) settings.url(item, 'chat', 'connections', 'connected'); // 'https://fn.example.com/api/chat/connections/connected?code=k'
 * ```
 */
export class UpstreamSettings {
  readonly #items: readonly CompiledSetting[];

  constructor(items: readonly UpstreamSetting[]) {
    this.#items = items.map((setting) => ({
      setting,
      hub: compile(setting.hubPattern),
      category: compile(setting.categoryPattern),
      event: compile(setting.eventPattern),
    }));
  }

  /** Whether any item is configured (none: nothing is ever sent). */
  get size(): number {
    return this.#items.length;
  }

  /** The first item whose three patterns match, or undefined when none does. */
  match(hub: string, category: UpstreamCategory, event: string): UpstreamSetting | undefined {
    const h = hub.toLowerCase();
    const c = category.toLowerCase();
    const e = event.toLowerCase();
    return this.#items.find((item) => matches(item.hub, h) && matches(item.category, c) && matches(item.event, e))?.setting;
  }

  /**
   * The item's URL template with `{hub}`, `{category}` and `{event}` filled in, each value
   * percent-encoded (so a method name like `a/b?c` stays one path segment).
   */
  url(setting: UpstreamSetting, hub: string, category: UpstreamCategory, event: string): string {
    const values: Record<string, string> = { hub, category, event };
    return setting.urlTemplate.replace(/\{(hub|category|event)\}/g, (_, name: string) => encodeURIComponent(values[name]!));
  }
}

function compile(pattern: string): Matcher {
  const names = pattern.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  // Azure allows `*` alone; one among names is read the same way, as "anything".
  if (names.length === 0 || names.includes('*')) return undefined;
  return new Set(names);
}

function matches(matcher: Matcher, value: string): boolean {
  return matcher === undefined || matcher.has(value);
}

/**
 * The upstream's origin and path only, for logs and dead letters: the query (and any user info)
 * may hold a key (`?code=` of Azure Functions).
 *
 * @example
 * ```ts
 * redactedTarget('https://fn.example.com/api/chat?code=secret'); // 'https://fn.example.com/api/chat'
 * ```
 */
export function redactedTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
