// Numbers given on the command line: plain decimal notation only. Number() alone would also take
// "0x10" (16), "" and " " (0) and "1e3" for a count, so a typo could become a silent setting.
import { InputError } from '../user-input/input-error.js';
import { parseDecimal } from '../user-input/user-text.js';

const INTEGER = /^\+?\d+$/;

/** A number ≥ 0 written in decimal (Infinity where allowed), else an InputError naming the option. */
export function nonNegativeNumberOption(name: string, text: string, { infinity = false } = {}): number {
  const value = parseDecimal(text, { infinity });
  if (!(value >= 0)) throw new InputError(`${name} must be a non-negative number${infinity ? ' (or Infinity)' : ''}, got "${text}"`);
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
