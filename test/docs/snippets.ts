/**
 * Finds the TypeScript code blocks of Markdown documents and type-checks them with the compiler
 * API, each as its own ES module, with the repository's compiler options (strict; `hubwire`
 * resolves to the library's source through the `source` export condition). The conventions are
 * described in snippets.test.ts.
 * @module
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import ts from 'typescript';

/** One TypeScript block of a document. */
export interface Snippet {
  /** The document, relative to the repository root (`docs/hub-api.md`). */
  readonly doc: string;
  /** 1-based line of the document holding the snippet's first line of code. */
  readonly line: number;
  readonly code: string;
  /** The name given by a first line `// file: name.ts`, which other blocks of the document import as `./name.js`. */
  readonly fileName: string | undefined;
  /** Preceded by `<!-- no-check -->`: deliberately partial, not compiled. */
  readonly skipped: boolean;
}

/** A compiler error, located in its document. */
export interface SnippetError {
  readonly doc: string;
  readonly line: number;
  readonly column: number;
  readonly code: number;
  readonly message: string;
}

const OPENING = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript|tsx)(?:\s.*)?$/i;
const FILE_NAME = /^\/\/\s*file:\s*([\w.-]+\.tsx?)\s*$/;
const NO_CHECK = /^<!--\s*no-check\s*-->$/;

/** The TypeScript blocks of a Markdown text. Other fences (json, sh, …) are passed over whole. */
export function extractSnippets(markdown: string, doc: string): Snippet[] {
  const lines = markdown.split(/\r?\n/);
  const snippets: Snippet[] = [];
  let previous = '';
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const fence = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence === null) {
      if (line.trim() !== '') previous = line.trim();
      continue;
    }
    const [, indent, marks] = fence as unknown as [string, string, string];
    const closing = new RegExp(`^\\s*${marks[0] === '`' ? '`' : '~'}{${marks.length},}\\s*$`);
    let end = index + 1;
    while (end < lines.length && !closing.test(lines[end]!)) end++;
    if (OPENING.test(line)) {
      const body = lines.slice(index + 1, end).map((text) => (text.startsWith(indent) ? text.slice(indent.length) : text.trimStart()));
      const named = FILE_NAME.exec(body[0]?.trim() ?? '');
      snippets.push({ doc, line: index + 2, code: body.join('\n'), fileName: named?.[1], skipped: NO_CHECK.test(previous) });
    }
    previous = '';
    index = end;
  }
  return snippets;
}

/** The compiler options of the repository's tsconfig.json, for snippets. */
function compilerOptions(root: string): ts.CompilerOptions {
  const path = join(root, 'tsconfig.json');
  const read = ts.readConfigFile(path, ts.sys.readFile);
  if (read.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, path);
  // Every snippet is a module of its own, even one without import or export.
  return { ...parsed.options, noEmit: true, moduleDetection: ts.ModuleDetectionKind.Force };
}

/**
 * Type-checks `snippets` (of any number of documents) in one program and returns the errors of
 * the snippets themselves, located in their documents.
 */
export function checkSnippets(snippets: readonly Snippet[], root: string): SnippetError[] {
  const options = compilerOptions(root);
  // Virtual files beside the documents, one folder per document: `./name.js` imports resolve
  // within it, and packages resolve from the repository's node_modules.
  const files = new Map<string, Snippet>();
  for (const snippet of snippets) {
    if (snippet.skipped) continue;
    const folder = join(root, dirname(snippet.doc), '.snippets', basename(snippet.doc, '.md'));
    const path = join(folder, snippet.fileName ?? `line-${snippet.line}.ts`);
    if (files.has(path)) throw new Error(`${snippet.doc}:${snippet.line}: a second snippet named ${basename(path)}`);
    files.set(path, snippet);
  }
  const folders = new Set([...files.keys()].flatMap((path) => [dirname(path), dirname(dirname(path))]));
  const host = ts.createCompilerHost(options, true);
  const { fileExists, readFile, directoryExists, getSourceFile } = host;
  host.fileExists = (path) => files.has(path) || fileExists.call(host, path);
  host.readFile = (path) => files.get(path)?.code ?? readFile.call(host, path);
  host.directoryExists = (path) => folders.has(path) || (directoryExists?.call(host, path) ?? ts.sys.directoryExists(path));
  host.getSourceFile = (path, language, onError, create) => {
    const snippet = files.get(path);
    return snippet === undefined ? getSourceFile.call(host, path, language, onError, create) : ts.createSourceFile(path, snippet.code, language, true);
  };
  const program = ts.createProgram({ rootNames: [...files.keys()], options, host });
  const errors: SnippetError[] = [];
  for (const global of program.getOptionsDiagnostics()) {
    errors.push({ doc: 'tsconfig.json', line: 0, column: 0, code: global.code, message: ts.flattenDiagnosticMessageText(global.messageText, '\n') });
  }
  for (const [path, snippet] of files) {
    const source = program.getSourceFile(path);
    if (source === undefined) throw new Error(`${snippet.doc}:${snippet.line}: not compiled`);
    for (const diagnostic of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const at = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      errors.push({
        doc: snippet.doc,
        line: snippet.line + at.line,
        column: at.character + 1,
        code: diagnostic.code,
        message: ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'),
      });
    }
  }
  return errors;
}

/** `docs/hub-api.md:123:5 TS2304 Cannot find name 'sleep'.` */
export function formatError(error: SnippetError): string {
  return `${error.doc}:${error.line}:${error.column} TS${error.code} ${error.message}`;
}

/** Reads the snippets of the documents at `paths` (absolute), named relative to `root`. */
export function readSnippets(paths: readonly string[], root: string): Snippet[] {
  return paths.flatMap((path) => extractSnippets(readFileSync(path, 'utf8'), relative(root, path)));
}
