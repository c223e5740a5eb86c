/**
 * The TypeScript in the docs compiles as written, as docs/client-example.ts does.
 *
 * Conventions for the ```ts (or ```typescript) blocks of every docs/*.md:
 * - Each block is type-checked as its own ES module (strict, the options of tsconfig.json, top-level
 *   `await` allowed), against the library's source types: `import … from 'hubwire'` resolves to
 *   packages/hubwire/src. So a block imports or defines everything it uses — what a reader pastes
 *   into a file compiles.
 * - A block whose first line is `// file: chat-hub.ts` can be imported by the other blocks of the
 *   same document as `./chat-hub.js` (e.g. a hub defined once and mapped in a later block).
 * - A block meant to be partial (a fragment of a class, pseudo-code) is preceded by the line
 *   `<!-- no-check -->` (invisible when the Markdown is rendered) and is not compiled.
 * New documents and new blocks are picked up without changes here.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkSnippets, extractSnippets, formatError, readSnippets, type Snippet, type SnippetError } from './snippets.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCS = join(ROOT, 'docs');
const documents = readdirSync(DOCS)
  .filter((name) => name.endsWith('.md'))
  .sort();

describe('the checker', () => {
  const markdown = [
    '# A doc',
    '',
    '```ts',
    '// file: greeter.ts',
    'export const greet = (name: string): string => `hello ${name}`;',
    '```',
    '',
    '```json',
    '{ "not": "typescript" }',
    '```',
    '',
    '- in a list:',
    '',
    '  ```typescript',
    "  import { greet } from './greeter.js';",
    '  const n: number = greet(1);',
    '  ```',
    '',
    '<!-- no-check -->',
    '',
    '```ts',
    'this is not TypeScript at all',
    '```',
    '',
    '```ts',
    "import { Hub } from 'hubwire';",
    'class H extends Hub { ping() { return await undefinedThing; } }',
    '```',
  ].join('\n');

  test('finds the TypeScript blocks, their lines, names and no-check marks', () => {
    const snippets = extractSnippets(markdown, 'docs/x.md');
    assert.deepEqual(
      snippets.map(({ line, fileName, skipped }) => ({ line, fileName, skipped })),
      [
        { line: 4, fileName: 'greeter.ts', skipped: false },
        { line: 15, fileName: undefined, skipped: false },
        { line: 22, fileName: undefined, skipped: true },
        { line: 26, fileName: undefined, skipped: false },
      ],
    );
    assert.equal(snippets[1]!.code, "import { greet } from './greeter.js';\nconst n: number = greet(1);");
  });

  test('reports the errors of each block at their line in the document, and only those', () => {
    const errors = checkSnippets(extractSnippets(markdown, 'docs/x.md'), ROOT);
    const found = errors.map(({ doc, line, code }) => `${doc}:${line} TS${code}`).sort();
    // greet(1): a number for a string, a string for a number; `await` outside async; an unknown name.
    assert.deepEqual(found, ['docs/x.md:16 TS2322', 'docs/x.md:16 TS2345', 'docs/x.md:27 TS1308', 'docs/x.md:27 TS2304'].sort(), errors.map(formatError).join('\n'));
  });
});

describe('docs/*.md TypeScript snippets compile as written', () => {
  let snippets: Snippet[];
  let errors: SnippetError[];

  before(() => {
    snippets = readSnippets(
      documents.map((name) => join(DOCS, name)),
      ROOT,
    );
    errors = checkSnippets(snippets, ROOT);
  });

  test('the compiler options are usable', () => {
    const global = errors.filter((error) => error.doc === 'tsconfig.json').map(formatError);
    if (global.length > 0) assert.fail(global.join('\n'));
  });

  test('docs/hub-api.md has its snippets (the extractor did not come back empty)', () => {
    assert.ok(snippets.filter((snippet) => snippet.doc === 'docs/hub-api.md' && !snippet.skipped).length >= 8);
  });

  for (const name of documents) {
    test(`docs/${name}`, () => {
      const mine = errors.filter((error) => error.doc === `docs/${name}`).map(formatError);
      if (mine.length > 0) assert.fail(`${mine.length} compiler error(s) in the snippets of docs/${name}:\n${mine.join('\n')}`);
    });
  }
});
