// Datasets as CSV: a header `x1,…,xd,y` (d ≥ 1), then one sample per line.
//
// The format is purely numeric, so this is a small hand parser rather than a CSV library: fields
// are split on commas and trimmed, lines may end in \n, \r\n (or \r\r\n) or \r (old Mac), a leading byte-order mark and
// trailing empty lines are ignored. Quoted fields are refused with a clear message (no numeric
// field needs them). Values are decimal numbers (`-1.5`, `.5`, `2e-3`); anything else, including
// NaN, Infinity, hexadecimal and empty fields, is an InputError naming the line and column.
import { InputError } from '../user-input/input-error.js';
import type { Dataset } from './dataset.js';
import { DECIMAL, withoutByteOrderMark } from '../user-input/user-text.js';

const NON_FINITE_WORD = /^[+-]?(?:nan|inf|infinity)$/i;

/** Reads one dataset (count 1). Every problem is an InputError starting with `source`. */
export function parseDatasetCsv(text: string, source = 'data'): Dataset {
  const fail = (message: string): never => {
    throw new InputError(`${source}: ${message}`);
  };

  // (\r\r\n too: Python's csv.writer on Windows, the file opened without newline='')
  const lines = withoutByteOrderMark(text).split(/\r*\n|\r/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) fail('the file is empty (expected a header x1,…,xd,y and at least one sample)');

  // a parameter file (or another JSON file) given where the data belongs
  if (/^\s*[[{]/.test(lines[0])) fail('the file is JSON, not CSV (a parameter file given as the data?): the data is a CSV with a header x1,…,xd,y');
  // Header, line 1.
  const header = lines[0].split(',').map((cell) => cell.trim());
  if (header.some((cell) => cell.startsWith('"') || cell.startsWith("'"))) {
    fail(`line 1 (header): quoted fields are not supported; write the header as x1,…,xd,y without quotes`);
  }
  if (header.length < 2) {
    fail(`line 1 (header) is "${lines[0].trim()}", expected x1,…,xd,y with at least one input column`);
  }
  // a spreadsheet's export with an empty last column: every line then ends in a comma
  if (header[header.length - 1] === '') fail(`line 1 (header) "${lines[0].trim()}" ends in a comma (an empty last column): remove the trailing commas`);
  const inputDim = header.length - 1;
  for (let c = 0; c < header.length; c++) {
    const expected = c < inputDim ? `x${c + 1}` : 'y';
    if (header[c] !== expected) {
      fail(`line 1 (header), column ${c + 1} is "${header[c]}", expected "${expected}" (the header must be ${headerFor(inputDim)})`);
    }
  }

  const samples = lines.length - 1;
  if (samples === 0) fail('no samples (the file has only a header)');

  const x = new Float64Array(samples * inputDim);
  const y = new Float64Array(samples);
  for (let n = 0; n < samples; n++) {
    const lineNumber = n + 2;
    const line = lines[n + 1];
    if (line.trim() === '') fail(`line ${lineNumber} is empty (empty lines are allowed only at the end)`);
    const cells = line.split(',');
    if (cells.length === header.length + 1 && cells[cells.length - 1].trim() === '') fail(`line ${lineNumber} ends in a comma (an empty column past y): remove the trailing comma`);
    if (cells.length !== header.length) {
      fail(`line ${lineNumber} has ${cells.length} column${cells.length === 1 ? '' : 's'}, expected ${header.length}`);
    }
    for (let c = 0; c < cells.length; c++) {
      const cell = cells[c].trim();
      const where = `line ${lineNumber}, column ${header[c]}`;
      if (cell === '') fail(`${where} is empty`);
      if (cell.startsWith('"') || cell.startsWith("'")) fail(`${where}: ${cell} is quoted; quoted fields are not supported`);
      if (NON_FINITE_WORD.test(cell)) fail(`${where}: "${cell}" is not a finite number`);
      if (!DECIMAL.test(cell)) fail(`${where}: "${cell}" is not a number`);
      const value = Number(cell);
      if (!Number.isFinite(value)) fail(`${where}: "${cell}" is not a finite number (out of range for a double)`);
      if (c < inputDim) x[n * inputDim + c] = value;
      else y[n] = value;
    }
  }
  return { inputDim, samples, count: 1, x, y };
}

/**
 * Writes dataset `index` (0 unless the dataset holds one per network) as CSV with a header and a
 * trailing newline. Numbers are written in their shortest round-trip form, so parsing the text
 * gives back the same doubles (−0 included).
 */
export function formatDatasetCsv(data: Dataset, index = 0): string {
  if (!Number.isInteger(index) || index < 0 || index >= data.count) {
    throw new RangeError(`dataset index ${index} out of range: the dataset holds ${data.count}`);
  }
  const d = data.inputDim;
  const header = [...Array.from({ length: d }, (_, i) => `x${i + 1}`), 'y'].join(',');
  const out = [header];
  const xBase = index * data.samples * d;
  const yBase = index * data.samples;
  for (let n = 0; n < data.samples; n++) {
    const row: string[] = [];
    for (let i = 0; i < d; i++) row.push(formatNumber(data.x[xBase + n * d + i], n, `x${i + 1}`));
    row.push(formatNumber(data.y[yBase + n], n, 'y'));
    out.push(row.join(','));
  }
  return `${out.join('\n')}\n`;
}

/** `x1,y`, `x1,x2,y`, `x1,x2,x3,y`, `x1,x2,…,x7,y`. */
function headerFor(inputDim: number): string {
  if (inputDim <= 3) return [...Array.from({ length: inputDim }, (_, i) => `x${i + 1}`), 'y'].join(',');
  return `x1,x2,…,x${inputDim},y`;
}

function formatNumber(value: number, sample: number, column: string): string {
  if (!Number.isFinite(value)) throw new RangeError(`sample ${sample}, column ${column} is ${value}; CSV datasets hold finite numbers only`);
  return Object.is(value, -0) ? '-0' : String(value);
}
