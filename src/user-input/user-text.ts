// Numbers and text as users write them — command-line options, spec, parameter and data files — read
// one way everywhere.

/** Plain decimal notation: 12, -0.5, .5, 1e-3; not 0x10, '', 1,5 (Number() would take the first two). */
export const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A number written in decimal, spaces around it ignored (and Infinity or inf, "no bound", where `infinity` allows); NaN for anything else. */
export function parseDecimal(text: string, { infinity = false } = {}): number {
  const trimmed = text.trim();
  if (infinity && (trimmed === 'Infinity' || trimmed === 'inf')) return Infinity;
  // a number past float64's range is no number, not Infinity (which only the word gives, where allowed)
  const value = DECIMAL.test(trimmed) ? Number(trimmed) : NaN;
  return Number.isFinite(value) ? value : NaN;
}

/** Whether `text` is decimal notation of a number past float64's range (1e400), which parseDecimal reads as no number. */
export function beyondFloat64(text: string): boolean {
  const trimmed = text.trim();
  return DECIMAL.test(trimmed) && !Number.isFinite(Number(trimmed));
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
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    // (V8 quotes the text around an unexpected token: its line breaks, written out, keep the message one line)
    throw new SyntaxError(withLineAndColumn(error.message, json).replace(/\r?\n/g, '\\n'));
  }
  // JSON.parse keeps the last of a key given twice in one object: a slip that would pass for a setting
  const duplicate = scanJson(json, true);
  if (duplicate?.key !== undefined) {
    throw new SyntaxError(`${JSON.stringify(duplicate.key)} is given twice in one object ${lineAndColumn(json, duplicate.offset)}: JSON would keep only the last; give it once`);
  }
  return value;
}

function withLineAndColumn(message: string, json: string): string {
  const position = /at position (\d+)/.exec(message);
  // (newer engines write the line and column themselves)
  if (/\(line \d+ column \d+\)/.test(message)) return position ? `${message}${syntaxHint(json, Number(position[1]), message)}` : message;
  if (position) return `${message} ${lineAndColumn(json, Number(position[1]))}${syntaxHint(json, Number(position[1]), message)}`;
  if (/end of JSON input/.test(message)) return `${message} (the file ends at line ${json.split(LINE_BREAK).length})`;
  // V8's other kind, "Unexpected token 'N', "…snippet…" is not valid JSON", says no position: found
  // here, where the scan stops at the token V8 names
  const token = /^(Unexpected token '([\s\S]+?)'), [\s\S]* is not valid JSON$/.exec(message);
  const offset = syntaxErrorOffset(json);
  if (!token || offset === undefined || !json.startsWith(token[2], offset)) return message;
  return `${token[1]} in JSON at position ${offset} ${lineAndColumn(json, offset)}${syntaxHint(json, offset, message)}`;
}

/**
 * What a syntax error at `offset` most likely is, where it is one of the usual slips: a comment (JSON
 * has none), a comma before a closing bracket, or Python's NaN and Infinity, which json.dump writes for
 * non-finite floats (allow_nan=True by default) in place of a value (not where a property name was
 * expected: {NaN: 1}); '' otherwise.
 */
function syntaxHint(json: string, offset: number, message: string): string {
  if (json.startsWith('//', offset) || json.startsWith('/*', offset)) return ': JSON has no comments (remove them)';
  if ((json[offset] === '}' || json[offset] === ']') && json.slice(0, offset).trimEnd().endsWith(',')) return `: JSON allows no comma before a closing ${json[offset]}`;
  if (/property name/.test(message)) return '';
  const word = /^-?(NaN|Infinity)/.exec(json.slice(json[offset - 1] === '-' ? offset - 1 : offset));
  return word ? `: ${word[0]} is no JSON number (Python's json.dump writes it for a non-finite value)` : '';
}

/** Line breaks as editors count them: \r\n (Windows), \n, or a lone \r (old Mac). */
const LINE_BREAK = /\r\n|\r|\n/;

function lineAndColumn(json: string, offset: number): string {
  const lines = json.slice(0, offset).split(LINE_BREAK);
  return `(line ${lines.length} column ${lines[lines.length - 1].length + 1})`;
}

const JSON_NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Where the first syntax error of `json` is (undefined: none found, or nested too deep to scan), by the JSON grammar (RFC 8259). */
function syntaxErrorOffset(json: string): number | undefined {
  return scanJson(json, false)?.offset;
}

/**
 * Scans `json` by the JSON grammar (RFC 8259): where its first syntax error is, or (`duplicates`)
 * its first key given twice in one object, with that key; undefined where there is neither (or it is
 * nested too deep to scan).
 */
function scanJson(json: string, duplicates: boolean): { offset: number; key?: string } | undefined {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const whitespace = () => {
    while (i < json.length && ' \t\n\r'.includes(json[i])) i++;
  };
  const string = () => {
    i++;
    while (i < json.length && json[i] !== '"') {
      if (json[i] < ' ') fail();
      if (json[i] === '\\') {
        i++;
        if (json[i] === 'u' && /^[0-9a-fA-F]{4}$/.test(json.slice(i + 1, i + 5))) i += 4;
        else if (!'"\\/bfnrt'.includes(json[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= json.length) fail();
    i++;
  };
  const members = (close: string, member: () => void) => {
    i++;
    whitespace();
    if (json[i] === close) return void i++;
    for (;;) {
      member();
      whitespace();
      if (json[i] === close) return void i++;
      if (json[i] !== ',') fail();
      i++;
    }
  };
  const value = (): void => {
    whitespace();
    const c = json[i];
    if (c === '{') {
      const keys = new Set<string>();
      return members('}', () => {
        whitespace();
        if (json[i] !== '"') fail();
        const start = i;
        string();
        if (duplicates) {
          const key = JSON.parse(json.slice(start, i)) as string;
          if (keys.has(key)) throw { offset: start, key };
          keys.add(key);
        }
        whitespace();
        if (json[i] !== ':') fail();
        i++;
        value();
      });
    }
    if (c === '[') return members(']', value);
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (c !== word[0]) continue;
      for (const letter of word) {
        if (json[i] !== letter) fail();
        i++;
      }
      return;
    }
    JSON_NUMBER.lastIndex = i;
    if (!JSON_NUMBER.test(json)) fail();
    i = JSON_NUMBER.lastIndex;
  };
  try {
    value();
    whitespace();
    return i < json.length ? { offset: i } : undefined;
  } catch (thrown) {
    if (typeof thrown === 'number') return { offset: thrown };
    if (thrown !== null && typeof thrown === 'object' && 'key' in thrown) return thrown as { offset: number; key: string };
    return undefined; // (a stack overflow on absurd nesting: the message stays V8's)
  }
}
