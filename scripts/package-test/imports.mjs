// Finds the packages a build output imports that its package.json does not declare. An install
// from the tarball only catches static imports on the import path; this also sees dynamic
// import(), require() and require.resolve() (the server app resolves the browser client's bundle
// that way), and it covers the server app, which is never packed.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import ts from 'typescript';

const BUILTINS = new Set(builtinModules);

/** The package a bare specifier names: `@scope/name/sub` → `@scope/name`; null for relative, absolute and built-in modules. */
export function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:') || specifier.startsWith('data:')) return null;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return BUILTINS.has(name) ? null : name;
}

/** Every string a module hands to import/export-from, import(), require() or *.resolve() on a require. */
export function moduleSpecifiers(source, fileName) {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const found = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length >= 1 && ts.isStringLiteralLike(node.arguments[0])) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      const isResolve = ts.isPropertyAccessExpression(callee) && callee.name.text === 'resolve' && /require/i.test(callee.expression.getText(file));
      if (isImport || isRequire || isResolve) found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function jsFiles(dir, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) jsFiles(path, found);
    else if (/\.(m|c)?js$/.test(entry.name)) found.push(path);
  }
  return found;
}

/**
 * Imports in `<packageDir>/<outDir>` of packages missing from the manifest's dependencies
 * (peer and optional dependencies count; devDependencies do not, a user never gets them).
 */
export function undeclaredImports(packageDir, outDir = 'dist') {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const declared = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
  const problems = [];
  for (const path of jsFiles(join(packageDir, outDir))) {
    for (const specifier of moduleSpecifiers(readFileSync(path, 'utf8'), path)) {
      const name = packageOf(specifier);
      if (name !== null && !declared.has(name)) problems.push(`${relative(packageDir, path)} imports '${specifier}'`);
    }
  }
  return problems;
}
