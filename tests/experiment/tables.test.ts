// A preset's tables in their forms: CSV and JSON column names programs can read (snake_case ASCII,
// as the generic report's CSV), markdown for people.
import { describe, expect, it } from 'vitest';
import { hasPresetTables, presetTables } from '../../src/experiment/preset-reports.js';
import { PRESETS } from '../../src/experiment/presets.js';
import { dataColumn, tableCsv, tableJson, type PresetTable } from '../../src/experiment/tables.js';

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
