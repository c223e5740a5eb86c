/**
 * How each setting's value is read: from an environment string and from a JSON value of the
 * config file. A value that does not parse throws {@link Invalid}, whose text completes
 * "X must be …" in config.ts's error.
 * @module
 */
import { isIP } from 'node:net';

/** A value that did not parse; `expected` completes "X must be …". */
export class Invalid extends Error {
  readonly expected: string;
  constructor(expected: string) {
    super(expected);
    this.expected = expected;
  }
}

/** How one setting is read from an environment string and from a JSON value. */
export interface Parser {
  /** For docs: what values are accepted. */
  readonly accepts: string;
  fromEnv(raw: string): unknown;
  fromFile(value: unknown): unknown;
}

export function integer(min: number, max: number): Parser {
  const accepts = `an integer from ${min} to ${max}`;
  const check = (value: number) => {
    if (!Number.isInteger(value) || value < min || value > max) throw new Invalid(accepts);
    return value;
  };
  return {
    accepts,
    fromEnv: (raw) => (/^-?\d+$/.test(raw.trim()) ? check(Number(raw.trim())) : check(Number.NaN)),
    fromFile: (value) => (typeof value === 'number' ? check(value) : check(Number.NaN)),
  };
}

export const boolean: Parser = {
  accepts: 'true or false',
  fromEnv(raw) {
    const value = raw.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    throw new Invalid('true or false (also 1/0, yes/no, on/off)');
  },
  fromFile(value) {
    if (typeof value !== 'boolean') throw new Invalid('true or false');
    return value;
  },
};

export function text(options: { allowEmpty?: boolean; minBytes?: number; pattern?: RegExp; describe?: string } = {}): Parser {
  const accepts = options.describe ?? (options.allowEmpty ? 'a string' : 'a non-empty string');
  const check = (value: unknown) => {
    if (typeof value !== 'string') throw new Invalid(accepts);
    if (!options.allowEmpty && value.length === 0) throw new Invalid(accepts);
    if (options.minBytes !== undefined && Buffer.byteLength(value) < options.minBytes) throw new Invalid(accepts);
    if (options.pattern !== undefined && !options.pattern.test(value)) throw new Invalid(accepts);
    return value;
  };
  return { accepts, fromEnv: check, fromFile: check };
}

export function oneOf(values: readonly string[]): Parser {
  const accepts = `one of ${values.join(', ')}`;
  const check = (value: unknown) => {
    if (typeof value !== 'string' || !values.includes(value)) throw new Invalid(accepts);
    return value;
  };
  return { accepts, fromEnv: (raw) => check(raw.trim()), fromFile: check };
}

/** A URL whose scheme is one of `protocols` (e.g. `['http:', 'https:']`); kept as written. */
function url(protocols: readonly string[], accepts: string): Parser {
  const check = (value: unknown) => {
    if (typeof value !== 'string') throw new Invalid(accepts);
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new Invalid(accepts);
    }
    if (!protocols.includes(parsed.protocol)) throw new Invalid(accepts);
    return value;
  };
  return { accepts, fromEnv: (raw) => check(raw.trim()), fromFile: check };
}

export const httpUrl: Parser = url(['http:', 'https:'], 'an http(s) URL');

export const redisUrl: Parser = url(['redis:', 'rediss:'], 'a redis:// or rediss:// URL');

/** The parts of a comma-separated environment value, trimmed, empty ones dropped. */
function commaList(raw: string): string[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

export const origins: Parser = {
  accepts: "a list of origins like https://app.example.com (comma-separated in the environment), or '*'",
  fromEnv: (raw) => origins.fromFile(commaList(raw)),
  fromFile(value) {
    if (!Array.isArray(value)) throw new Invalid(origins.accepts);
    for (const origin of value) {
      if (origin === '*' && value.length === 1) continue;
      if (typeof origin !== 'string' || !isOrigin(origin)) throw new Invalid(origins.accepts);
    }
    return value as string[];
  },
};

export const proxies: Parser = {
  accepts: 'a list of IP addresses, CIDR ranges (10.0.0.0/8) or loopback (comma-separated in the environment)',
  fromEnv: (raw) => proxies.fromFile(commaList(raw)),
  fromFile(value) {
    if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string' && isProxy(entry))) throw new Invalid(proxies.accepts);
    return value as string[];
  },
};

/**
 * Data-plane access keys: one or two (two while rotating), each at least 32 characters of
 * `A-Z a-z 0-9 + / = _ -` (base64, base64url, hex). No dot, so `Authorization: Bearer <x>` is a
 * key when it has none and a JWT when it has two; no comma, the environment's separator.
 */
export const accessKeys: Parser = {
  accepts: 'one or two access keys of at least 32 characters of A-Z a-z 0-9 + / = _ - (comma-separated in the environment)',
  fromEnv: (raw) => accessKeys.fromFile(commaList(raw)),
  fromFile(value) {
    if (!Array.isArray(value) || value.length > 2 || !value.every((key) => typeof key === 'string' && /^[A-Za-z0-9+/=_-]{32,}$/.test(key))) throw new Invalid(accessKeys.accepts);
    return value as string[];
  },
};

/** Names of hubs served without hub code: letters, digits and `_`, starting with a letter. */
export const hubNames: Parser = {
  accepts: 'a list of hub names of letters, digits and _ starting with a letter (comma-separated in the environment)',
  fromEnv: (raw) => hubNames.fromFile(commaList(raw)),
  fromFile(value) {
    if (!Array.isArray(value) || !value.every((name) => typeof name === 'string' && /^[A-Za-z][A-Za-z0-9_]{0,127}$/.test(name))) throw new Invalid(hubNames.accepts);
    const lower = value.map((name: string) => name.toLowerCase());
    if (new Set(lower).size !== lower.length) throw new Invalid(`${hubNames.accepts}, each once (names are case-insensitive)`);
    return value as string[];
  },
};

/**
 * Upstream settings as Azure SignalR orders them: a list of `{ urlTemplate, hubPattern?,
 * categoryPattern?, eventPattern? }` (the first whose patterns match an event gets it). The
 * environment takes that list as JSON, or one URL template alone (every event goes there).
 * A template is an http(s) URL that may hold `{hub}`, `{category}` and `{event}`; a pattern is
 * `*`, a name, or a comma-separated list of names.
 */
export const upstreams: Parser = {
  accepts: 'an http(s) URL template with {hub}, {category}, {event}, or a JSON list of {"urlTemplate", "hubPattern", "categoryPattern", "eventPattern"}',
  fromEnv(raw) {
    const trimmed = raw.trim();
    if (!trimmed.startsWith('[')) return upstreams.fromFile([{ urlTemplate: trimmed }]);
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new Invalid(upstreams.accepts);
    }
    return upstreams.fromFile(parsed);
  },
  fromFile(value) {
    if (!Array.isArray(value)) throw new Invalid(upstreams.accepts);
    return value.map((item: unknown) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new Invalid(upstreams.accepts);
      const { urlTemplate, hubPattern = '*', categoryPattern = '*', eventPattern = '*', ...rest } = item as Record<string, unknown>;
      if (Object.keys(rest).length > 0) throw new Invalid(upstreams.accepts);
      if (typeof urlTemplate !== 'string' || !isUrlTemplate(urlTemplate)) throw new Invalid(upstreams.accepts);
      for (const pattern of [hubPattern, categoryPattern, eventPattern]) {
        if (typeof pattern !== 'string' || !/^\s*(\*|[^,\s]+(\s*,\s*[^,\s]+)*)\s*$/.test(pattern)) throw new Invalid(upstreams.accepts);
      }
      return { urlTemplate, hubPattern, categoryPattern, eventPattern };
    });
  },
};

/** An http(s) URL once its `{hub}`, `{category}` and `{event}` are filled in. */
function isUrlTemplate(template: string): boolean {
  const filled = template.replace(/\{(hub|category|event)\}/g, 'x');
  if (/[{}]/.test(filled)) return false;
  try {
    return ['http:', 'https:'].includes(new URL(filled).protocol);
  } catch {
    return false;
  }
}

function isProxy(entry: string): boolean {
  if (entry === 'loopback') return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d+$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32);
}

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value.replace(/\/$/, '');
  } catch {
    return false;
  }
}
