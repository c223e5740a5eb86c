#!/usr/bin/env node
// The size of @hubwire/client's own code as a browser app ships it: src/ bundled by esbuild
// (which tsx brings into the repository's node_modules), minified, @microsoft/signalr left out
// (the app has it anyway), then gzipped at level 9. Prints one line; docs/client.md quotes it.
//   node packages/client/scripts/size.mjs [--json]
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const result = await build({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  external: ['@microsoft/signalr'],
  write: false,
  logLevel: 'silent',
});
const code = result.outputFiles[0].contents;
const gzipped = gzipSync(code, { level: 9 }).length;
const figures = { minified: code.length, gzipped };
if (process.argv.includes('--json')) console.log(JSON.stringify(figures));
else console.log(`@hubwire/client: ${(code.length / 1024).toFixed(1)} kB minified, ${(gzipped / 1024).toFixed(1)} kB minified+gzipped (without @microsoft/signalr)`);
