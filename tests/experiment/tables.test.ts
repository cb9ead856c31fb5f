// A preset's tables in their forms: CSV and JSON column names programs can read (snake_case ASCII,
// as the generic report's CSV), markdown for people (one number format per column, percentages as
// the generic report writes them).
import { describe, expect, it } from 'vitest';
import { hasPresetTables, presetTables } from '../../src/experiment/preset-reports.js';
import { PRESETS } from '../../src/experiment/presets.js';
import { dataColumn, tableCsv, tableJson, tableMarkdown, type PresetTable } from '../../src/experiment/tables.js';

describe('column names for programs', () => {
  it('spells out symbols, drops a parenthesised aside and splits camelCase', () => {
    expect(['1/ε median', 'λ_max·η/2 q3', '2/η', 'L∞', 'channel strict (cos<1e-3) low95', 'of which channel-opening fraction', 'weightNorm_median', 'finite-minimum'].map(dataColumn)).toEqual([
      'inverse_epsilon_median',
      'lambda_max_times_eta_over_2_q3',
      '2_over_eta',
      'l_infinity',
      'channel_strict_low95',
      'of_which_channel_opening_fraction',
      'weight_norm_median',
      'finite_minimum',
    ]);
  });

  it("gives every preset table's columns distinct snake_case ASCII names", () => {
    const sweeps = PRESETS.filter((preset) => hasPresetTables(preset.name));
    expect(sweeps.length).toBeGreaterThanOrEqual(5);
    for (const preset of sweeps) {
      for (const table of presetTables(preset.name, [], [])) {
        const names = table.columns.map(dataColumn);
        expect(new Set(names).size, `${preset.name}/${table.name}`).toBe(names.length);
        for (const name of names) expect(name, `${preset.name}/${table.name}`).toMatch(/^[a-z0-9]+(_[a-z0-9]+)*$/);
      }
    }
  });

  it('writes CSV and JSON under those names, numbers at full precision, none where there is no number', () => {
    const table: PresetTable = { name: 't', title: 'T', columns: ['optimizer', '1/ε median'], rows: [['gd η=0.1', 0.123456789], ['flow', NaN]] };
    expect(tableCsv(table)).toBe('optimizer,inverse_epsilon_median\ngd η=0.1,0.123456789\nflow,\n');
    expect(tableJson(table)).toEqual({ name: 't', title: 'T', columns: ['optimizer', 'inverse_epsilon_median'], rows: [{ optimizer: 'gd η=0.1', inverse_epsilon_median: 0.123456789 }, { optimizer: 'flow', inverse_epsilon_median: null }] });
  });
});

describe('markdown for people', () => {
  it('writes each column in one number format and percentages with one decimal, as the generic report does', () => {
    const table: PresetTable = {
      name: 'by-optimizer',
      title: 'By optimiser',
      columns: ['optimizer', 'runs', 'channel', 'channel fraction', 'channel low95', 'channel high95', 'weight norm median', 'weight norm q1', 'weight norm q3', 'median gradient evaluations'],
      rows: [
        ['flow', 4, 0, 0, 0, 0.49, 999.98, 999.97, 999.99, 13584.5],
        ['gd η=0.1', 4, 2, 0.5, 0.15, 0.85, 4, 3, 5, 20000],
      ],
    };
    const [, , header, , flow, gd] = tableMarkdown(table).split('\n');
    expect(header).toBe('| optimizer | runs | channel | weight norm | median gradient evaluations |');
    // evaluations: 1.36e+4 beside 2.00e+4, not beside 20000; the quartiles in the median's format
    expect(flow).toBe('| flow | 4 | 0 (0.0% [0.0%, 49.0%]) | 1.00e+3 [1.00e+3, 1.00e+3] | 1.36e+4 |');
    expect(gd).toBe('| gd η=0.1 | 4 | 2 (50.0% [15.0%, 85.0%]) | 4.00 [3.00, 5.00] | 2.00e+4 |');
    // a column of counts stays in integers
    expect(tableMarkdown({ ...table, rows: [table.rows[1]] })).toContain('| 4 [3, 5] | 20000 |');
    // no number: '–', also where a NaN went through JSON as null (the HTML page's embedded tables)
    const none = JSON.parse(JSON.stringify({ ...table, rows: [['adam', 4, 0, NaN, NaN, NaN, NaN, NaN, NaN, NaN]] })) as PresetTable;
    expect(tableMarkdown(none).split('\n')[4]).toBe('| adam | 4 | – | – [–, –] | – |');
  });

  it('writes a difference of fractions with its interval in signed percentage points, as one column', () => {
    const table: PresetTable = {
      name: 'against',
      title: 'Against',
      columns: ['optimizer', 'channel difference', 'channel difference low95', 'channel difference high95'],
      rows: [
        ['adam', -0.125, -0.3012, 0.05],
        ['gd', 0, -0.2775, 0.2775],
        ['sgd', NaN, NaN, NaN],
      ],
    };
    const lines = tableMarkdown(table).split('\n');
    expect(lines[2]).toBe('| optimizer | channel difference (points) |');
    expect(lines.slice(4, 7)).toEqual(['| adam | −12.5 [−30.1, +5.0] |', '| gd | 0.0 [−27.8, +27.8] |', '| sgd | – [–, –] |']);
    expect(tableCsv(table).split('\n')[0]).toBe('optimizer,channel_difference,channel_difference_low95,channel_difference_high95');
  });
});
