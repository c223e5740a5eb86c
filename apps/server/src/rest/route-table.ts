/**
 * The route patterns the app registered, beside Fastify's own router: Fastify routes requests;
 * this table answers what Fastify does not — which methods a path has (405 with `Allow`, the
 * methods of a preflight), which pattern names a request no route of its method serves (the
 * metrics label of a 405), and whether two patterns clash.
 * @module
 */

interface Segment {
  readonly literal?: string;
  readonly param?: string;
}

/** One registered pattern, e.g. `GET /api/campaigns/:id`. */
export interface PatternEntry {
  readonly method: string;
  /** As registered (Fastify's syntax: `:name` parameters, `::` a literal colon, a trailing `*`). */
  readonly path: string;
  readonly segments: readonly Segment[];
  readonly wildcard: boolean;
}

/** Parses `path` (see {@link PatternEntry.path}); literal segments are kept lower-case. */
export function parsePattern(method: string, path: string): PatternEntry {
  if (!path.startsWith('/')) throw new Error(`A route path must start with '/'; got '${path}'.`);
  const parts = splitPath(path);
  const wildcard = parts[parts.length - 1] === '*';
  if (wildcard) parts.pop();
  const segments = parts.map((part): Segment => {
    if (part.startsWith(':') && !part.startsWith('::')) {
      const name = part.slice(1);
      if (!/^\w+$/.test(name)) throw new Error(`A parameter is a whole segment of word characters: '${part}' in '${path}'.`);
      return { param: name };
    }
    return { literal: part.replaceAll('::', ':').toLowerCase() };
  });
  for (const segment of segments) if (segment.literal?.includes('*')) throw new Error(`'*' may only end a route path: '${path}'.`);
  return { method, path, segments, wildcard };
}

/** The patterns of every registered route. */
export class RouteTable {
  readonly #entries: PatternEntry[] = [];

  /** Adds a pattern; throws when one of the same method has the same shape. */
  add(method: string, path: string): PatternEntry {
    const entry = parsePattern(method, path);
    const clash = this.#entries.find((other) => other.method === method && other.wildcard === entry.wildcard && sameShape(other.segments, entry.segments));
    if (clash !== undefined) throw new Error(`Route ${method} ${path} clashes with ${clash.method} ${clash.path}.`);
    this.#entries.push(entry);
    return entry;
  }

  get entries(): readonly PatternEntry[] {
    return this.#entries;
  }

  /** The patterns matching a request path (`?…` ignored), in registration order; empty for a bad path. */
  matching(url: string): PatternEntry[] {
    const question = url.indexOf('?');
    let parts: string[];
    try {
      parts = splitPath(question === -1 ? url : url.slice(0, question)).map((part) => decodeURIComponent(part));
    } catch {
      return [];
    }
    return this.#entries.filter((entry) => matches(entry, parts));
  }

  /** The methods a request path has routes for, in registration order. */
  methodsOf(url: string): string[] {
    return [...new Set(this.matching(url).map((entry) => entry.method))];
  }

  /** The most specific pattern matching a request path (exact paths before parameters before wildcards). */
  mostSpecific(url: string): PatternEntry | undefined {
    return this.matching(url).sort((a, b) => specificity(b) - specificity(a))[0];
  }
}

/** `/a/b/` → `['a', 'b']`; `/` → `[]`. */
function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part.length > 0);
}

function sameShape(a: readonly Segment[], b: readonly Segment[]): boolean {
  return a.length === b.length && a.every((segment, index) => (segment.literal === undefined) === (b[index]!.literal === undefined) && segment.literal === b[index]!.literal);
}

/** Exact paths before parameters before wildcards. */
function specificity(entry: PatternEntry): number {
  return entry.segments.filter((segment) => segment.literal !== undefined).length * 2 + (entry.wildcard ? 0 : 1);
}

function matches(entry: PatternEntry, parts: readonly string[]): boolean {
  if (entry.wildcard ? parts.length < entry.segments.length : parts.length !== entry.segments.length) return false;
  return entry.segments.every((segment, index) => segment.literal === undefined || segment.literal === parts[index]!.toLowerCase());
}

/**
 * Whether the rest of a wildcard path is safe to hand to a raw handler: no `.`/`..` segments,
 * no separators or NUL inside a decoded segment.
 */
export function safeWildcard(rest: string): boolean {
  return rest.split('/').every((part) => part !== '..' && part !== '.' && !part.includes('\\') && !part.includes('\0'));
}
