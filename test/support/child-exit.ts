/**
 * Runs a TypeScript script in a child process and reports whether it exits by itself: for checks
 * that something leaves no handle open (a process that stays alive is the failure).
 * @module
 */
import { spawn } from 'node:child_process';

/** Resolves with the script's exit code, or `'hung'` (and kills it) if it still runs after `ms`. */
export function exitOf(script: string, args: readonly string[], ms: number): Promise<number | 'hung'> {
  const child = spawn(process.execPath, ['--conditions=hubwire-source', '--import', 'tsx', script, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('hung');
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? 1);
    });
  });
}

/** The script that makes a Redis backplane and closes it before its connections are up. */
export const CLOSE_BEFORE_READY = new URL('./close-before-ready.ts', import.meta.url).pathname;
