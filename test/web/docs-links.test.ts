/**
 * The repository's docs as the server renders them: every link from one doc to another names a
 * doc the server serves, and every `#section` it points to is a heading id of the rendered
 * target, so following links on /docs/ never ends on a 404 or the top of the wrong page.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_DOCS_DIR } from '../../apps/server/src/modules/web-app/index.js';
import { DOC_NAME, renderMarkdown } from '../../apps/server/src/modules/web-app/docs-pages.js';

const docs = readdirSync(DEFAULT_DOCS_DIR).filter((name) => DOC_NAME.test(name));
const rendered = new Map(docs.filter((name) => name.endsWith('.md')).map((name) => [name, renderMarkdown(readFileSync(`${DEFAULT_DOCS_DIR}${name}`, 'utf8'))]));
const idsOf = (html: string) => new Set([...html.matchAll(/ id="([^"]+)"/g)].map((match) => match[1]!));

test('links between the rendered docs reach a served doc and an existing section', () => {
  const broken: string[] = [];
  let checked = 0;
  for (const [name, html] of rendered) {
    for (const [, href] of html.matchAll(/<a href="([^"]+)"/g)) {
      if (/^[a-z]+:|^\/\//.test(href!) || href!.startsWith('../')) continue; // other sites; files outside docs/
      const [file, anchor] = href!.split('#') as [string, string | undefined];
      const target = file === '' ? name : file;
      checked++;
      if (!docs.includes(target)) broken.push(`${name}: ${href} (no such doc)`);
      else if (anchor !== undefined && target.endsWith('.md') && !idsOf(rendered.get(target)!).has(decodeURIComponent(anchor))) broken.push(`${name}: ${href} (no such section)`);
    }
  }
  assert.ok(checked > 20, `only ${checked} links found`);
  assert.deepEqual(broken, []);
});
