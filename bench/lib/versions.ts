import { readFileSync } from 'node:fs';

const NODE_MODULES = new URL('../../node_modules/', import.meta.url);

/** Installed version of a package (read from the repository's node_modules), or '?' when unknown. */
export function packageVersion(name: string): string {
  try {
    const manifest = readFileSync(new URL(`${name}/package.json`, NODE_MODULES), 'utf8');
    return (JSON.parse(manifest) as { version?: string }).version ?? '?';
  } catch {
    return '?';
  }
}
