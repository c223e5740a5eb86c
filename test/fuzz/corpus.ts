/**
 * The fuzz corpus: seed inputs in `fuzz/corpus/{json,msgpack,handshake}/`, one file each, that
 * the properties mutate. A file's name says what it is: `valid-*` (parses whole),
 * `incomplete-*` (leaves a tail to wait for) or `invalid-*` (fails), so the suite also checks
 * that every seed still means what its name says.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The corpus directory of the repository. */
export const CORPUS_DIR = fileURLToPath(new URL('../../fuzz/corpus/', import.meta.url));

/** One seed input. */
export interface CorpusEntry {
  readonly name: string;
  readonly kind: 'valid' | 'incomplete' | 'invalid';
  readonly bytes: Uint8Array;
}

/** The seeds of one corpus (`json`, `msgpack` or `handshake`), sorted by name. */
export function loadCorpus(corpus: 'json' | 'msgpack' | 'handshake', dir = CORPUS_DIR): CorpusEntry[] {
  const folder = `${dir}/${corpus}`;
  return readdirSync(folder)
    .filter((name) => !name.startsWith('.'))
    .sort()
    .map((name) => {
      const kind = name.split('-')[0];
      if (kind !== 'valid' && kind !== 'incomplete' && kind !== 'invalid') {
        throw new Error(`corpus file ${corpus}/${name} must start with valid-, incomplete- or invalid-`);
      }
      return { name, kind, bytes: new Uint8Array(readFileSync(`${folder}/${name}`)) };
    });
}
