/**
 * Writing docs/benchmarks.md without losing what another run or a person wrote there. The file
 * is a main part (everything before the first `## ` heading: the tables of echo, broadcast and
 * memory) followed by `## ` sections, some generated (redis-broadcast), some written by hand
 * (the Redis client choice). A run replaces only the parts it produced.
 */

interface DocsParts {
  main: string;
  /** `## ` sections in file order, each starting with its heading line. */
  sections: string[];
}

function headingOf(section: string): string {
  return section.split('\n', 1)[0]?.trim() ?? '';
}

/** Cuts a markdown file at its `## ` headings (not inside fenced code blocks). */
export function splitDocs(text: string): DocsParts {
  const lines = text.split('\n');
  const starts: number[] = [];
  let fenced = false;
  lines.forEach((line, i) => {
    if (line.startsWith('```')) fenced = !fenced;
    else if (!fenced && line.startsWith('## ')) starts.push(i);
  });
  const cut = (from: number, to: number): string => `${lines.slice(from, to).join('\n').trimEnd()}\n`;
  return {
    main: cut(0, starts[0] ?? lines.length),
    sections: starts.map((start, k) => cut(start, starts[k + 1] ?? lines.length)),
  };
}

/**
 * The new file: `main` replaces the main part when given; each of `sections` replaces the
 * section with the same heading line, or is appended. Everything else stays as it was.
 */
export function spliceDocs(existing: string, main: string | undefined, sections: readonly string[]): string {
  const parts = splitDocs(existing);
  const result = [...parts.sections];
  for (const section of sections) {
    const normalized = `${section.trimEnd()}\n`;
    const at = result.findIndex((s) => headingOf(s) === headingOf(normalized));
    if (at >= 0) result[at] = normalized;
    else result.push(normalized);
  }
  return [main === undefined ? parts.main : `${main.trimEnd()}\n`, ...result].join('\n');
}
