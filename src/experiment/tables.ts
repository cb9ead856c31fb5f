// A titled table with named columns (a preset's tables, preset-reports.ts) and its forms: markdown
// and HTML for people (a fraction's four columns merged into "k (p% [lo, hi])", quartiles into
// "median [q1, q3]"), CSV and JSON for programs, whose column names are snake_case ASCII (dataColumn),
// as the generic report's CSV columns are. Pure: the dashboard's HTML report shares it.

export interface PresetTable {
  /** file name stem of its CSV */
  name: string;
  title: string;
  columns: string[];
  /** numbers stay numbers (CSV at full precision); markdown rounds them */
  rows: (string | number)[][];
  note?: string;
}

// symbols of the column labels, spelled out for column names that programs read
const SPELLED: [RegExp, string][] = [
  [/\b1\/ε/g, ' inverse epsilon '],
  [/ε/g, ' epsilon '],
  [/η/g, ' eta '],
  [/λ/g, ' lambda '],
  [/β/g, ' beta '],
  [/∞/g, ' infinity '],
  [/[·×]/g, ' times '],
  [/\//g, ' over '],
  [/</g, ' lt '],
];

/**
 * A column label as a CSV/JSON column name: snake_case ASCII, symbols spelled out, a parenthesised
 * aside left out ("1/ε median" → inverse_epsilon_median, "channel strict (cos<1e-3) low95" →
 * channel_strict_low95, "weightNorm" → weight_norm).
 */
export function dataColumn(label: string): string {
  let name = label.replace(/\s*\([^)]*\)/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2');
  for (const [symbol, spelled] of SPELLED) name = name.replace(symbol, spelled);
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** One column as people read it: a header and the text of a row's cell (of one or several of the table's columns). */
export interface ReadableColumn {
  header: string;
  cell: (row: readonly (string | number)[]) => string;
}

/**
 * One number format for the cells of a column (`values`): integers as they are when every number
 * among them is one (counts), otherwise three significant digits for all (20000 beside 13584.5 reads
 * 2.00e+4 beside 1.36e+4, not 20000); '–' where there is no number.
 */
function columnFormat(values: readonly (string | number)[]): (value: string | number) => string {
  const integers = values.every((value) => typeof value !== 'number' || !Number.isFinite(value) || Number.isInteger(value));
  return (value) => {
    if (typeof value === 'string') return value;
    // null: a NaN that went through JSON (the HTML page's embedded report)
    if (value === null || value !== value) return '–';
    if (!Number.isFinite(value)) return String(value);
    return integers ? String(value) : value.toPrecision(3);
  };
}

/** A fraction as a percentage with one decimal, as every report writes them ('–' where there is none). */
export const percent = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '–');

/** A difference of fractions in percentage points, signed ('–' where there is none). */
const points = (x: number) => (Number.isFinite(x) ? `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(100 * x).toFixed(1)}` : '–');

/** The table's columns for people: each fraction's four columns (k, fraction, low95, high95) as one, each difference's three (difference, low95, high95) as one, each quartile triple as one. */
export function readableColumns(table: PresetTable): ReadableColumn[] {
  const merged: ReadableColumn[] = [];
  const formatOf = (...columns: number[]) => columnFormat(table.rows.flatMap((row) => columns.map((c) => row[c])));
  for (let c = 0; c < table.columns.length; c++) {
    const name = table.columns[c];
    const at = c;
    if (table.columns[c + 1] === `${name} fraction` && table.columns[c + 3] === `${name} high95`) {
      // no fraction (nothing to count: "of which" among no runs): '–', not 0 (– [0.0%, 100.0%])
      merged.push({ header: name, cell: (row) => (Number.isFinite(row[at + 1]) ? `${row[at]} (${percent(row[at + 1] as number)} [${percent(row[at + 2] as number)}, ${percent(row[at + 3] as number)}])` : '–') });
      c += 3;
    } else if (name.endsWith(' difference') && table.columns[c + 1] === `${name} low95` && table.columns[c + 2] === `${name} high95`) {
      merged.push({ header: `${name} (points)`, cell: (row) => `${points(row[at] as number)} [${points(row[at + 1] as number)}, ${points(row[at + 2] as number)}]` });
      c += 2;
    } else if (name.endsWith(' median') && table.columns[c + 1] === name.replace(/ median$/, ' q1') && table.columns[c + 2] === name.replace(/ median$/, ' q3')) {
      // median and quartiles in one format
      const format = formatOf(at, at + 1, at + 2);
      merged.push({ header: name.replace(/ median$/, ''), cell: (row) => `${format(row[at])} [${format(row[at + 1])}, ${format(row[at + 2])}]` });
      c += 2;
    } else {
      const format = formatOf(at);
      merged.push({ header: name, cell: (row) => format(row[at]) });
    }
  }
  return merged;
}

/** A table in markdown, fraction columns merged into "k (p% [lo, hi])". */
export function tableMarkdown(table: PresetTable): string {
  const columns = readableColumns(table);
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  const lines = [
    `### ${table.title}`,
    '',
    `| ${columns.map((c) => escape(c.header)).join(' | ')} |`,
    `|${' --- |'.repeat(columns.length)}`,
    ...table.rows.map((row) => `| ${columns.map((c) => escape(c.cell(row))).join(' | ')} |`),
  ];
  if (table.note) lines.push('', table.note);
  return `${lines.join('\n')}\n`;
}

export function csvCell(value: string | number): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A table as CSV: a header of dataColumn names, numbers at full precision (an empty cell where there is none). */
export function tableCsv(table: PresetTable): string {
  return `${[table.columns.map(dataColumn).join(','), ...table.rows.map((row) => row.map(csvCell).join(','))].join('\n')}\n`;
}

/** A table for JSON: each row an object keyed by dataColumn names (null where there is no number). */
export function tableJson(table: PresetTable): { name: string; title: string; note?: string; columns: string[]; rows: Record<string, string | number | null>[] } {
  const columns = table.columns.map(dataColumn);
  return {
    name: table.name,
    title: table.title,
    ...(table.note ? { note: table.note } : {}),
    columns,
    rows: table.rows.map((row) => Object.fromEntries(columns.map((column, k) => [column, typeof row[k] === 'number' && !Number.isFinite(row[k]) ? null : row[k]]))),
  };
}
