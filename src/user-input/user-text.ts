// Numbers and text as users write them — command-line options, spec, parameter and data files — read
// one way everywhere.

/** Plain decimal notation: 12, -0.5, .5, 1e-3; not 0x10, '', 1,5 (Number() would take the first two). */
export const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A number written in decimal, spaces around it ignored (and Infinity or inf, "no bound", where `infinity` allows); NaN for anything else. */
export function parseDecimal(text: string, { infinity = false } = {}): number {
  const trimmed = text.trim();
  if (infinity && (trimmed === 'Infinity' || trimmed === 'inf')) return Infinity;
  return DECIMAL.test(trimmed) ? Number(trimmed) : NaN;
}

/** The text without a leading byte-order mark (some Windows editors write one; it is no part of JSON or CSV). */
export function withoutByteOrderMark(text: string): string {
  return text.replace(/^\uFEFF/, '');
}
