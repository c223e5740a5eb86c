import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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

/**
 * Which Hubwire source a run measured: the commit, and whether packages/hubwire had uncommitted
 * changes (the tree is shared while people work). BENCH_REVISION overrides it, e.g. for a run
 * from an exported commit outside git.
 */
export function sourceRevision(): string {
  if (process.env.BENCH_REVISION) return process.env.BENCH_REVISION;
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'packages/hubwire') !== '';
    return `commit ${commit}${dirty ? ' plus uncommitted changes in packages/hubwire' : ''}`;
  } catch {
    return 'unknown revision (not a git checkout)';
  }
}
