/**
 * Every numeric option of `fobkit-sim` is declared through {@link withNumericOptions}: a range, and
 * whole numbers unless said otherwise. yargs would happily pass `abc` (NaN), `-1` or `0` through
 * to code that then silently turns a limit off, so each value is parsed strictly and refused with
 * INVALID_OPTION (exit 2) before any command runs.
 */
import type { Argv, Options } from 'yargs';
import { SimError } from '../errors.js';

export interface NumericOptionSpec extends Omit<Options, 'type' | 'coerce' | 'requiresArg'> {
  min: number;
  max: number;
  /** Fractions allowed (default: whole numbers only). */
  fraction?: boolean;
}

/** The parsed values: numbers, possibly absent unless the option has a default or is demanded. */
export type NumericArgs<S extends Record<string, NumericOptionSpec>> = {
  [K in keyof S]: S[K] extends { default: number } | { demandOption: true | string } ? number : number | undefined;
};

const NUMBER_TEXT = /^[-+]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * The value of `--name` as a number within `spec`.
 * @throws SimError INVALID_OPTION (exit 2 through main.ts) naming the option, the range and what was given.
 */
export function parseNumericOption(name: string, raw: unknown, spec: Pick<NumericOptionSpec, 'min' | 'max' | 'fraction'>): number {
  const kind = spec.fraction ? 'a number' : 'a whole number';
  const fail = (why: string): SimError =>
    new SimError('INVALID_OPTION', `--${name} must be ${kind} from ${spec.min} to ${spec.max}${why}`);
  if (Array.isArray(raw)) throw fail(', given once (it was given more than once)');
  const text = String(raw).trim();
  const value = typeof raw === 'number' ? raw : NUMBER_TEXT.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value) || (!spec.fraction && !Number.isInteger(value)) || value < spec.min || value > spec.max) {
    throw fail(`, got '${text}'`);
  }
  return value;
}

/** Declares `specs` on `y` and checks each given value before the command runs (see the header). */
export function withNumericOptions<T, S extends Record<string, NumericOptionSpec>>(y: Argv<T>, specs: S): Argv<T & NumericArgs<S>> {
  const options: Record<string, Options> = {};
  for (const [name, { min, max, fraction, describe, ...rest }] of Object.entries(specs)) {
    // No yargs `type`: it would turn "abc" into NaN before we could name what was typed.
    options[name] = { ...rest, requiresArg: true, describe: `${describe ?? ''} (${min}..${max}${fraction ? '' : ', whole'})`.trim() };
  }
  return y.options(options).middleware((parsed) => {
    const argv = parsed as Record<string, unknown>;
    for (const [name, spec] of Object.entries(specs)) {
      if (argv[name] === undefined) continue;
      const value = parseNumericOption(name, argv[name], spec);
      argv[name] = value;
      argv[name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
    }
  }, true) as unknown as Argv<T & NumericArgs<S>>;
}
