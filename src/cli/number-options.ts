// Numbers given on the command line (counts, tolerances, report --thresholds): plain decimal
// notation only. Number() alone would also take "0x10" (16), "" and " " (0) and "1e3" for a count,
// so a typo could become a silent setting.
import { InputError } from '../user-input/input-error.js';
import { beyondFloat64, DECIMAL, parseDecimal } from '../user-input/user-text.js';
import { DEFAULT_THRESHOLDS } from '../analysis/classify.js';
import type { ThresholdOverrides } from '../experiment/summary.js';

const INTEGER = /^\+?\d+$/;

/** A number written in decimal (Infinity where allowed); an InputError naming the option for one past float64's range. */
function decimalOption(name: string, text: string, infinity: boolean): number {
  if (beyondFloat64(text)) throw new InputError(`${name}: ${text.trim()} is beyond float64's range (about 1.8e308)${infinity ? '; write Infinity for no limit' : ''}`);
  return parseDecimal(text, { infinity });
}

/** A number ≥ 0 written in decimal (Infinity where allowed), else an InputError naming the option. */
export function nonNegativeNumberOption(name: string, text: string, { infinity = false } = {}): number {
  const value = decimalOption(name, text, infinity);
  if (!(value >= 0)) throw new InputError(`${name} must be a non-negative number${infinity ? ' (or Infinity)' : ''}, got "${text}"`);
  return value;
}

/** A number > 0 written in decimal (Infinity where allowed), else an InputError naming the option. */
export function positiveNumberOption(name: string, text: string, { infinity = false } = {}): number {
  const value = decimalOption(name, text, infinity);
  if (!(value > 0)) throw new InputError(`${name} must be a positive number${infinity ? ' (or Infinity)' : ''}, got "${text}"`);
  return value;
}

/**
 * A fraction from 0 to 1, or a percentage such as 95%, else an InputError naming the option. A
 * percentage is read as its decimal (99.9% as 0.999, not 99.9/100, one rounding away from it).
 */
export function fractionOption(name: string, text: string): number {
  const trimmed = text.trim();
  const percent = trimmed.endsWith('%');
  const number = percent ? trimmed.slice(0, -1) : trimmed;
  const value = percent ? (DECIMAL.test(number) ? Number(`${number}e-2`) : NaN) : parseDecimal(number);
  if (!(value >= 0 && value <= 1)) throw new InputError(`${name} must be a fraction from 0 to 1 (or a percentage such as 95%), got "${text}"`);
  return value;
}

/** An integer from `min` to `max` written in digits, else an InputError naming the option and the range. */
export function integerOption(name: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = INTEGER.test(text.trim()) ? Number(text) : NaN;
  if (value > Number.MAX_SAFE_INTEGER) throw new InputError(`${name} is too large: ${text}`);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? (min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer ≥ ${min}`) : `an integer from ${min} to ${max}`;
    throw new InputError(`${name} must be ${range}, got "${text}"`);
  }
  return value;
}

/** The thresholds a report may change, with what each is (report --thresholds lists them). */
export const THRESHOLD_NAMES: readonly (keyof ThresholdOverrides)[] = Object.keys(DEFAULT_THRESHOLDS).filter((name) => name !== 'maxnorm') as (keyof ThresholdOverrides)[];

/** "name=value,…" into threshold overrides: known names only, non-negative numbers or Infinity (which switches equalInputs off; subspace=0 switches the motion test off). */
export function parseThresholds(text: string): ThresholdOverrides {
  const overrides: ThresholdOverrides = {};
  // nothing at all: no overrides (`--thresholds "$T"` with T empty); an empty entry among others is a slip
  if (text.trim() === '') return overrides;
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((part) => part === '')) throw new RangeError(`"${text}" has an empty entry: name=value, comma-separated`);
  for (const part of parts) {
    const match = /^([A-Za-z]+)\s*=\s*(\S+)$/.exec(part);
    if (!match) throw new RangeError(`"${part}" is not name=value`);
    const [, name, raw] = match;
    if (!(THRESHOLD_NAMES as readonly string[]).includes(name)) throw new RangeError(`"${name}" is not a classification threshold (${THRESHOLD_NAMES.join(', ')}; maxnorm is each run's own)`);
    // two values for one threshold are a slip, not a choice of the last
    if (name in overrides) throw new RangeError(`${name} is given twice ("${text}"): give each threshold once`);
    const value = decimalOption(name, raw, true);
    if (!(value >= 0)) throw new RangeError(`${name} must be a non-negative number, got "${raw}"`);
    overrides[name as keyof ThresholdOverrides] = value;
  }
  return overrides;
}
