/**
 * Reads the Prometheus text format the way a scraper does, strictly enough that a malformed line
 * fails the test: every sample line is `name{label="value",…} number`, every metric family has
 * one `# HELP` and one `# TYPE` before its samples.
 * @module
 */

/** One scrape: sample values by `name{sorted labels}`, and each family's type. */
export interface Scrape {
  readonly samples: ReadonlyMap<string, number>;
  readonly types: ReadonlyMap<string, string>;
  /** The value of the sample with exactly these labels, or undefined when there is none. */
  value(name: string, labels?: Readonly<Record<string, string>>): number | undefined;
  /** Like {@link value}, 0 when absent (a counter not incremented yet). */
  count(name: string, labels?: Readonly<Record<string, string>>): number;
  /** Every sample of `name` whose labels include `labels`, with its labels. */
  matching(name: string, labels?: Readonly<Record<string, string>>): { labels: Record<string, string>; value: number }[];
}

// Values as Prometheus parses them (Go's ParseFloat: NaN in any case; prom-client writes `Nan`).
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?(?:[0-9.eE+-]+|[Nn][Aa][Nn]|\+Inf|-Inf))$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/gy;

function key(name: string, labels: Readonly<Record<string, string>>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((label) => `${label}=${JSON.stringify(labels[label])}`);
  return `${name}{${parts.join(',')}}`;
}

function parseLabels(text: string | undefined, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (text === undefined || text === '') return labels;
  LABEL.lastIndex = 0;
  let consumed = 0;
  for (let match = LABEL.exec(text); match !== null; match = LABEL.exec(text)) {
    labels[match[1]!] = match[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    consumed = LABEL.lastIndex;
  }
  if (consumed !== text.length) throw new Error(`bad labels in line: ${line}`);
  return labels;
}

/** The family a sample belongs to: histogram samples carry `_bucket`, `_sum`, `_count`. */
function familyOf(name: string, types: ReadonlyMap<string, string>): string {
  if (types.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix) && types.get(name.slice(0, -suffix.length)) === 'histogram') return name.slice(0, -suffix.length);
  }
  throw new Error(`sample ${name} has no # TYPE line before it`);
}

/**
 * Parses a `/metrics` answer; throws on a line a scraper would reject.
 * @example
 * ```ts
 * const scrape = parsePrometheus(await (await fetch(url)).text());
 * scrape.count('hubwire_invocations_total', { hub: '/hubs/chat', method: 'send' });
 * ```
 */
export function parsePrometheus(text: string): Scrape {
  const samples = new Map<string, number>();
  const byName = new Map<string, { labels: Record<string, string>; value: number }[]>();
  const types = new Map<string, string>();
  const helps = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      const name = line.slice(7).split(' ')[0]!;
      if (helps.has(name)) throw new Error(`two # HELP lines for ${name}`);
      helps.add(name);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ') as [string, string];
      if (types.has(name)) throw new Error(`two # TYPE lines for ${name}`);
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type)) throw new Error(`bad type in: ${line}`);
      if (!helps.has(name)) throw new Error(`# TYPE before # HELP for ${name}`);
      types.set(name, type);
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText, valueText] = match as unknown as [string, string, string | undefined, string];
    familyOf(name, types);
    const labels = parseLabels(labelText, line);
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : /nan/i.test(valueText) ? Number.NaN : Number(valueText);
    const sampleKey = key(name, labels);
    if (samples.has(sampleKey)) throw new Error(`duplicate sample ${sampleKey}`);
    samples.set(sampleKey, value);
    let list = byName.get(name);
    if (list === undefined) byName.set(name, (list = []));
    list.push({ labels, value });
  }
  const value = (name: string, labels: Readonly<Record<string, string>> = {}) => samples.get(key(name, labels));
  return {
    samples,
    types,
    value,
    count: (name, labels) => value(name, labels) ?? 0,
    matching: (name, labels = {}) => (byName.get(name) ?? []).filter((sample) => Object.entries(labels).every(([label, wanted]) => sample.labels[label] === wanted)),
  };
}
