/**
 * The repository's docs/ as pages: `/docs/<name>.md` is the Markdown rendered to HTML (GitHub
 * flavoured, headings with GitHub's anchors so links between docs and to sections keep
 * working), a TypeScript or .http example is shown as a code page, `?raw` gives the file as it
 * is, and `/docs/` lists the docs. Pages run no script: their CSP allows only their own style.
 * @module
 */
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Marked, type Tokens } from 'marked';
import { DOCS_CSS } from './docs-style.js';
import { sendBody, sendNotFound, styleHash } from './http-answers.js';

/** File names served from docs/ (no paths: one segment of these characters). */
export const DOC_NAME = /^[a-z0-9][a-z0-9-]*\.(md|ts|http|json|svg)$/;

/** Pictures the docs show, in docs/screenshots/ (one segment, PNG only). */
export const SCREENSHOT_NAME = /^[a-z0-9][a-z0-9-]*\.png$/;

/** How each kind of doc is answered when not asked for `?raw`. */
const RAW_TYPES: Readonly<Record<string, string>> = {
  md: 'text/markdown; charset=utf-8',
  ts: 'text/plain; charset=utf-8',
  http: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
};

const CSP = ["default-src 'none'", `style-src ${styleHash(DOCS_CSS)}`, "img-src 'self' data:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"].join('; ');

/** The CSP of a raw file (an SVG may hold scripts: none run). */
const RAW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; sandbox";

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe inside HTML elements and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2. */
export function headingSlug(text: string, seen: Map<string, number>): string {
  const base = text
    .toLowerCase()
    .trim()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
  const count = seen.get(base) ?? 0;
  seen.set(base, count + 1);
  return count === 0 ? base : `${base}-${count}`;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" };

/** The text of rendered inline HTML (tags dropped, the entities marked writes decoded). */
function plainText(html: string): string {
  return html.replace(/<[^>]*>/g, '').replace(/&(#?\w+);/g, (whole, entity: string) => ENTITIES[entity] ?? whole);
}

/** Renders Markdown to HTML, headings with ids. */
export function renderMarkdown(markdown: string): string {
  const seen = new Map<string, number>();
  const marked = new Marked({
    gfm: true,
    renderer: {
      heading(this: { parser: { parseInline(tokens: Tokens.Generic[]): string } }, { tokens, depth }: Tokens.Heading) {
        const inner = this.parser.parseInline(tokens);
        const id = headingSlug(plainText(inner), seen);
        return `<h${depth} id="${escapeHtml(id)}">${inner}</h${depth}>\n`;
      },
    },
  });
  return marked.parse(markdown, { async: false });
}

/** The first `# ` heading of a Markdown file, else its name. */
export function titleOf(name: string, text: string): string {
  if (!name.endsWith('.md')) return name;
  const heading = /^#\s+(.+)$/m.exec(text)?.[1];
  return heading === undefined ? name : heading.replace(/[`*_]/g, '').trim();
}

/** A whole docs page around `body` (HTML). */
export function docsPage(title: string, body: string, rawHref?: string): string {
  const raw = rawHref === undefined ? '' : ` · <a href="${escapeHtml(rawHref)}">source</a>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" type="image/svg+xml" href="/favicon.svg">
<title>${escapeHtml(title)} · Hubwire docs</title>
<style>${DOCS_CSS}</style>
</head>
<body>
<header><a href="/">Hubwire</a><a href="/docs/">Docs</a></header>
<main>
${body}
</main>
<footer>Hubwire documentation${raw}</footer>
</body>
</html>
`;
}

/** Serves docs/ of `dir`. */
export class DocsPages {
  readonly #dir: string;

  /** `dir`: the docs folder, ending in a separator. */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /** `GET /docs/`: the list of docs. */
  async index(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.#dir)).filter((name) => DOC_NAME.test(name) && name.endsWith('.md')).sort();
    } catch {
      return sendNotFound(req, res);
    }
    const items = await Promise.all(
      names.map(async (name) => {
        const title = titleOf(name, await readFile(`${this.#dir}${name}`, 'utf8').catch(() => ''));
        return `<li><a href="/docs/${escapeHtml(name)}">${escapeHtml(title)}</a> <span class="muted">${escapeHtml(name)}</span></li>`;
      }),
    );
    const body = `<h1>Documentation</h1>\n<ul class="doc-list">\n${items.join('\n')}\n</ul>`;
    this.#html(req, res, docsPage('Documentation', body));
  }

  /** `GET /docs/:name`: a rendered page, or the file itself with `?raw` (and for JSON and SVG). */
  async page(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (!DOC_NAME.test(name)) return sendNotFound(req, res);
    let text: Buffer;
    try {
      // Only names listed in the folder: no path of the request reaches the file system as such.
      if (!(await readdir(this.#dir)).includes(name)) return sendNotFound(req, res);
      text = await readFile(`${this.#dir}${name}`);
    } catch {
      return sendNotFound(req, res);
    }
    const extension = name.slice(name.lastIndexOf('.') + 1);
    const raw = new URL(req.url ?? '/', 'http://docs').searchParams.has('raw');
    if (raw || extension === 'json' || extension === 'svg') {
      return sendBody(req, res, 200, RAW_TYPES[extension] ?? 'text/plain; charset=utf-8', text, { 'Content-Security-Policy': RAW_CSP, 'Cache-Control': 'no-cache' });
    }
    const source = text.toString('utf8');
    const body = extension === 'md' ? renderMarkdown(source) : `<h1><code>${escapeHtml(name)}</code></h1>\n<pre><code class="language-${extension}">${escapeHtml(source)}</code></pre>`;
    this.#html(req, res, docsPage(titleOf(name, source), body, `/docs/${name}?raw`));
  }

  /** `GET /docs/screenshots/:name`: a picture a doc shows (the web app's views). */
  async screenshot(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (!SCREENSHOT_NAME.test(name)) return sendNotFound(req, res);
    const dir = `${this.#dir}screenshots/`;
    let image: Buffer;
    try {
      // As for docs: only a name listed in the folder is read.
      if (!(await readdir(dir)).includes(name)) return sendNotFound(req, res);
      image = await readFile(`${dir}${name}`);
    } catch {
      return sendNotFound(req, res);
    }
    sendBody(req, res, 200, 'image/png', image, { 'Cache-Control': 'no-cache' });
  }

  #html(req: IncomingMessage, res: ServerResponse, html: string): void {
    sendBody(req, res, 200, 'text/html; charset=utf-8', html, { 'Content-Security-Policy': CSP, 'Cache-Control': 'no-cache' });
  }
}
