import { describe, expect, it } from 'vitest';
import { formatDatasetCsv, parseDatasetCsv } from '../../src/data/csv.js';
import type { Dataset } from '../../src/data/dataset.js';
import { InputError } from '../../src/user-input/input-error.js';

function errorOf(text: string, source?: string): string {
  try {
    parseDatasetCsv(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected parseDatasetCsv to throw');
}

describe('dataset CSV round trip', () => {
  for (const inputDim of [1, 2, 5]) {
    it(`d=${inputDim}`, () => {
      const samples = 7;
      const x = Float64Array.from({ length: samples * inputDim }, (_, k) => Math.sin(k * 1.7) * 10 ** ((k % 9) - 4));
      const y = Float64Array.from({ length: samples }, (_, n) => Math.cos(n) / 3);
      x[0] = -0;
      y[1] = 1e21;
      y[2] = -5e-324;
      const data: Dataset = { inputDim, samples, count: 1, x, y };
      const text = formatDatasetCsv(data);
      expect(text.split('\n')[0]).toBe([...Array.from({ length: inputDim }, (_, i) => `x${i + 1}`), 'y'].join(','));
      const back = parseDatasetCsv(text);
      expect(back.inputDim).toBe(inputDim);
      expect(back.samples).toBe(samples);
      expect(back.count).toBe(1);
      expect(Object.is(back.x[0], -0)).toBe(true);
      expect(Array.from(back.x)).toEqual(Array.from(x));
      expect(Array.from(back.y)).toEqual(Array.from(y));
    });
  }

  it('writes one dataset of a per-network ensemble', () => {
    const data: Dataset = { inputDim: 1, samples: 2, count: 2, x: Float64Array.of(1, 2, 3, 4), y: Float64Array.of(5, 6, 7, 8) };
    expect(formatDatasetCsv(data, 1)).toBe('x1,y\n3,7\n4,8\n');
    expect(() => formatDatasetCsv(data, 2)).toThrow(RangeError);
  });

  it('refuses to write non-finite values', () => {
    const data: Dataset = { inputDim: 1, samples: 1, count: 1, x: Float64Array.of(Number.NaN), y: Float64Array.of(0) };
    expect(() => formatDatasetCsv(data)).toThrow(/sample 0, column x1 is NaN/);
  });

  it('trims whitespace, accepts CRLF, a BOM and trailing empty lines', () => {
    const data = parseDatasetCsv('\uFEFF x1 , x2 ,y \r\n 1, -2.5e1 ,.5\r\n+3,4.,5E-1\r\n\r\n');
    expect(data.inputDim).toBe(2);
    expect(data.samples).toBe(2);
    expect(Array.from(data.x)).toEqual([1, -25, 3, 4]);
    expect(Array.from(data.y)).toEqual([0.5, 0.5]);
  });

  it('accepts the lone CR line breaks of old Mac files (as editors count them)', () => {
    const data = parseDatasetCsv('x1,y\r1,2\r3,4\r');
    expect(Array.from(data.x)).toEqual([1, 3]);
    expect(Array.from(data.y)).toEqual([2, 4]);
    expect(errorOf('x1,y\r1,2\r3\r')).toBe('data: line 3 has 1 column, expected 2');
    // and \r\r\n, as Python's csv.writer writes on Windows to a file opened without newline=''
    expect(Array.from(parseDatasetCsv('x1,y\r\r\n1,2\r\r\n3,4\r\r\n').y)).toEqual([2, 4]);
  });

  it('reads a file without a final newline', () => {
    expect(Array.from(parseDatasetCsv('x1,y\n1,2').y)).toEqual([2]);
  });
});

describe('dataset CSV errors', () => {
  it('reports an empty file', () => {
    expect(errorOf('')).toBe('data: the file is empty (expected a header x1,…,xd,y and at least one sample)');
    expect(errorOf('\n\r\n  \n')).toMatch(/^data: the file is empty/);
  });

  it('reports a file with only a header', () => {
    expect(errorOf('x1,x2,y\n')).toBe('data: no samples (the file has only a header)');
  });

  it('uses the source name', () => {
    expect(errorOf('x1,y\n', 'teacher.csv')).toBe('teacher.csv: no samples (the file has only a header)');
  });

  it('reports a wrong header', () => {
    expect(errorOf('y\n1\n')).toBe('data: line 1 (header) is "y", expected x1,…,xd,y with at least one input column');
    expect(errorOf('x1,x3,y\n1,2,3\n')).toBe(
      'data: line 1 (header), column 2 is "x3", expected "x2" (the header must be x1,x2,y)',
    );
    expect(errorOf('x1,x2\n1,2\n')).toBe('data: line 1 (header), column 2 is "x2", expected "y" (the header must be x1,y)');
    expect(errorOf('1,2,3\n1,2,3\n')).toBe('data: line 1 (header), column 1 is "1", expected "x1" (the header must be x1,x2,y)');
    expect(errorOf('x1,x2,x3,x4,x5,Y\n1,2,3,4,5,6\n')).toBe(
      'data: line 1 (header), column 6 is "Y", expected "y" (the header must be x1,x2,…,x5,y)',
    );
    expect(errorOf('X1,Y\n1,2\n')).toMatch(/column 1 is "X1", expected "x1"/);
  });

  it('refuses quoted fields', () => {
    expect(errorOf('"x1","y"\n1,2\n')).toBe(
      'data: line 1 (header): quoted fields are not supported; write the header as x1,…,xd,y without quotes',
    );
    expect(errorOf('x1,y\n1,"2"\n')).toBe('data: line 2, column y: "2" is quoted; quoted fields are not supported');
  });

  it('says a trailing comma is one (a spreadsheet export with an empty last column), not a misnamed column', () => {
    expect(errorOf('x1,x2,y,\n1,2,3,\n')).toBe('data: line 1 (header) "x1,x2,y," ends in a comma (an empty last column): remove the trailing commas');
    expect(errorOf('x1,y\n1,2\n3,4,\n')).toBe('data: line 3 ends in a comma (an empty column past y): remove the trailing comma');
  });

  it('reports a row with the wrong column count', () => {
    const text = ['x1,x2,x3,y', '1,2,3,4', '1,2,3,4', '1,2,3,4', '1,2,3,4', '1,2,3,4', '1,2,3'].join('\n');
    expect(errorOf(text)).toBe('data: line 7 has 3 columns, expected 4');
    expect(errorOf('x1,y\n1,2,3\n')).toBe('data: line 2 has 3 columns, expected 2');
    expect(errorOf('x1,y\n1\n')).toBe('data: line 2 has 1 column, expected 2');
  });

  it('says a JSON file given as the data is one (a parameter file, say)', () => {
    const params = JSON.stringify({ activation: 'softplus', biases: true, layers: [] }, null, 2);
    expect(errorOf(params)).toBe('data: the file is JSON, not CSV (a parameter file given as the data?): the data is a CSV with a header x1,…,xd,y');
    expect(errorOf('\uFEFF[1, 2]')).toMatch(/the file is JSON, not CSV/);
  });

  it('reports an empty line between samples', () => {
    expect(errorOf('x1,y\n1,2\n\n3,4\n')).toBe('data: line 3 is empty (empty lines are allowed only at the end)');
  });

  it('reports non-numeric values with line and column', () => {
    expect(errorOf('x1,x2,y\n1,2,3\n4,abc,6\n')).toBe('data: line 3, column x2: "abc" is not a number');
    expect(errorOf('x1,y\n0x10,1\n')).toBe('data: line 2, column x1: "0x10" is not a number');
    expect(errorOf('x1,y\n1,2 3\n')).toBe('data: line 2, column y: "2 3" is not a number');
    expect(errorOf('x1,y\n1,\n')).toBe('data: line 2, column y is empty');
  });

  it('reports non-finite values', () => {
    expect(errorOf('x1,y\nNaN,1\n')).toBe('data: line 2, column x1: "NaN" is not a finite number');
    expect(errorOf('x1,y\n1,-Infinity\n')).toBe('data: line 2, column y: "-Infinity" is not a finite number');
    expect(errorOf('x1,y\n1,inf\n')).toBe('data: line 2, column y: "inf" is not a finite number');
    expect(errorOf('x1,y\n1e999,1\n')).toBe('data: line 2, column x1: "1e999" is not a finite number (out of range for a double)');
  });
});
