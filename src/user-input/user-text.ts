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

/**
 * JSON.parse of a user's file (a byte-order mark dropped). A syntax error's message gains its line and
 * column, as newer JavaScript engines write it themselves: Node 20 says only "at position 31".
 */
export function parseUserJson(text: string): unknown {
  const json = withoutByteOrderMark(text);
  try {
    return JSON.parse(json);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    // (V8 quotes the text around an unexpected token: its line breaks, written out, keep the message one line)
    throw new SyntaxError(withLineAndColumn(error.message, json).replace(/\r?\n/g, '\\n'));
  }
}

function withLineAndColumn(message: string, json: string): string {
  if (/\(line \d+ column \d+\)/.test(message)) return message;
  const position = /at position (\d+)/.exec(message);
  if (!position) return /end of JSON input/.test(message) ? `${message} (the file ends at line ${json.split('\n').length})` : message;
  const before = json.slice(0, Number(position[1]));
  return `${message} (line ${before.split('\n').length} column ${before.length - before.lastIndexOf('\n')})`;
}
