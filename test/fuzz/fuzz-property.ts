/**
 * A fuzz property: an arbitrary, a check that throws when the property fails, and the bytes a
 * case feeds to the parser (so a failing or hanging case can be saved as a file and replayed).
 * The same properties run bounded in the test suite (`*.property.test.ts`) and for a time budget
 * in `npm run fuzz`.
 * @module
 */
import { test } from 'node:test';
import fc from 'fast-check';

/** One property over generated inputs. */
export interface FuzzProperty<T = unknown> {
  /** `<target>: <what holds>`, unique among all properties; `npm run fuzz -- --only` matches on it. */
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<T>;
  /** Throws (an assertion error, or whatever escaped the parser) when the property does not hold. */
  readonly check: (value: T) => void;
  /** The bytes this case feeds to the parser, concatenated. */
  readonly input: (value: T) => Uint8Array;
}

/** Declares a property; the type parameter flows from the arbitrary to `check` and `input`. */
export function fuzzProperty<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  input: (value: T) => Uint8Array,
  check: (value: T) => void,
): FuzzProperty<T> {
  return { name, arbitrary, input, check };
}

/** The fast-check property of a {@link FuzzProperty}. */
export function toFastCheck<T>(property: FuzzProperty<T>): fc.IPropertyWithHooks<[T]> {
  return fc.property(property.arbitrary, (value) => {
    property.check(value);
  });
}

/**
 * The seed of the bounded runs in the test suite: fixed, so the suite is deterministic, unless
 * `FUZZ_SEED` is set (to replay the seed a failure printed, or to try another one).
 */
export const SUITE_SEED = suiteSeed(process.env['FUZZ_SEED']);

function suiteSeed(text: string | undefined): number {
  if (text === undefined) return 0x5eed;
  const seed = Number(text);
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got ${text}`);
  return seed;
}

/**
 * Registers one node:test test per property, each run `numRuns` times from {@link SUITE_SEED}.
 * A failure reports fast-check's shrunk counterexample, seed and path.
 *
 * @example
 * ```ts
 * describe('json hub protocol: properties', () => registerProperties(protocolProperties(target), 150));
 * ```
 */
export function registerProperties(properties: readonly FuzzProperty<any>[], numRuns: number): void {
  for (const property of properties) {
    test(property.name, () => {
      fc.assert(toFastCheck(property), { seed: SUITE_SEED, numRuns });
    });
  }
}
