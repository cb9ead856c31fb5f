// A user's JSON that does not parse: the message says where (line and column), whichever of V8's
// messages it started from, and names Python's NaN / Infinity for what they are.
import { describe, expect, it } from 'vitest';
import { parseUserJson } from '../../src/user-input/user-text.js';
import { makeRandom } from '../helpers/random.js';

function messageOf(text: string): string {
  try {
    parseUserJson(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`parsed: ${text}`);
}

describe('parseUserJson', () => {
  it("V8's \"Unexpected token\" errors, which carry no position, gain one (Node 20 quotes the text instead)", () => {
    expect(messageOf('{"a":}')).toBe("Unexpected token '}' in JSON at position 5 (line 1 column 6)");
    // the letter where a literal breaks, as V8 names it
    expect(messageOf('{\n  "a": tru}')).toBe("Unexpected token '}' in JSON at position 12 (line 2 column 11)");
    expect(messageOf('{"a": [}')).toBe("Unexpected token '}' in JSON at position 7 (line 1 column 8)");
  });

  it('refuses a key given twice in one object (JSON.parse would keep the last), naming it and where, however it is escaped', () => {
    expect(messageOf('{\n  "seeds": 2,\n  "seeds": 50\n}')).toBe('"seeds" is given twice in one object (line 3 column 3): JSON would keep only the last; give it once');
    expect(messageOf('{"a": {"kind": "gd", "lr": 0.1, "k\\u0069nd": "adam"}}')).toMatch(/^"kind" is given twice in one object \(line 1 column 33\)/);
    // the same key in two objects, or in an object and an array's object, is no slip
    expect(parseUserJson('{"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 3}, {"x": 4}], "x": 5}')).toEqual({ a: { x: 1 }, b: { x: 2 }, c: [{ x: 3 }, { x: 4 }], x: 5 });
  });

  it('counts lines as editors do, whichever line breaks the file has', () => {
    for (const breakText of ['\n', '\r\n', '\r']) {
      const text = ['{', '  "a": 1,', '  "b": }'].join(breakText);
      expect(messageOf(text), JSON.stringify(breakText)).toMatch(/\(line 3 column 8\)$/);
    }
  });

  it('says that NaN and Infinity, as Python writes them for non-finite floats, are no JSON numbers', () => {
    const python = '{\n  "activation": "softplus",\n  "layers": [{"weights": [[NaN, 1.0]]}]\n}';
    expect(messageOf(python)).toBe(
      "Unexpected token 'N' in JSON at position 57 (line 3 column 28): NaN is no JSON number (Python's json.dump writes it for a non-finite value)",
    );
    expect(messageOf('[1, -Infinity]')).toMatch(/^No number after minus sign in JSON at position 5 \(line 1 column 6\): -Infinity is no JSON number/);
    expect(messageOf('[Infinity]')).toMatch(/at position 1 \(line 1 column 2\): Infinity is no JSON number/);
    // where a property name was expected, NaN is no misplaced number
    expect(messageOf('{NaN: 1}')).not.toMatch(/Python/);
  });

  it('says that JSON has no comments and no comma before a closing bracket, as hand-edited specs have them', () => {
    expect(messageOf('{\n  "seeds": 4,\n}')).toBe('Expected double-quoted property name in JSON at position 16 (line 3 column 1): JSON allows no comma before a closing }');
    expect(messageOf('{"hidden": [4, 8, ]}')).toMatch(/\(line 1 column 19\): JSON allows no comma before a closing \]$/);
    expect(messageOf('{\n  // the paper\'s settings\n  "seeds": 50\n}')).toMatch(/\(line 2 column 3\): JSON has no comments \(remove them\)$/);
    expect(messageOf('{"a": 1, /* why */ "b": 2}')).toMatch(/: JSON has no comments/);
    // a comma where a value belongs, and a key without one, are neither
    expect(messageOf('{"a": 1,,}')).not.toMatch(/: JSON/);
    expect(messageOf('{"a": 1, "b"}')).not.toMatch(/: JSON/);
  });

  it('on random damage to a valid file, every message has a line and column (or where the file ends), at or after the damage, on one line', () => {
    const valid = JSON.stringify({ activation: 'erf', biases: true, layers: [{ weights: [[1.5, -2e-3], [0.25, 3]], biases: [0, -1] }, { weights: [[1, -1]], biases: [0.5] }], note: 'a "quoted" word\\n' }, null, 2);
    const { uniform: random } = makeRandom(7);
    const debris = ['}', ']', '{', '[', ',', ':', '"', 'x', 'N', '-', '.', 'e', '\\', ' ', '\n', 't', 'n', '0'];
    let checked = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const at = Math.floor(random() * valid.length);
      const cut = random() < 0.3 ? 1 : 0;
      const text = valid.slice(0, at) + debris[Math.floor(random() * debris.length)] + valid.slice(at + cut);
      let message: string;
      try {
        JSON.parse(text);
        continue;
      } catch {
        message = messageOf(text);
      }
      checked++;
      expect(message, text).toMatch(/\(line \d+ column \d+\)|the file ends at line \d+/);
      expect(message, text).not.toMatch(/\n/);
      // the text before the damage is valid JSON so far: the error is at the damage or after it
      const position = /at position (\d+)/.exec(message);
      if (position) expect(Number(position[1]), text).toBeGreaterThanOrEqual(at);
    }
    expect(checked).toBeGreaterThan(2000);
  });
});
