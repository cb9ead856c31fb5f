// Numbers on the command line: decimal notation only, so that a typo is refused rather than read
// as another value (Number() reads "0x10" as 16 and " " as 0).
import { describe, expect, it } from 'vitest';
import { fractionOption, integerOption, nonNegativeNumberOption, parseThresholds, positiveNumberOption } from '../../src/cli/number-options.js';
import { InputError } from '../../src/user-input/input-error.js';
import { runCli } from '../helpers/cli.js';

describe('number options', () => {
  it('takes decimal numbers and integers, and refuses hex, blanks, fractions and out-of-range values, naming the option', () => {
    expect(nonNegativeNumberOption('--loss-rtol', '0.01')).toBe(0.01);
    expect(nonNegativeNumberOption('--loss-rtol', '1e-3')).toBe(1e-3);
    expect(nonNegativeNumberOption('--maxnorm', 'Infinity', { infinity: true })).toBe(Infinity);
    expect(nonNegativeNumberOption('--maxnorm', '.5')).toBe(0.5);
    for (const bad of ['0x10', '', ' ', '-1', 'Infinity', '1,5', 'NaN']) {
      expect(() => nonNegativeNumberOption('--loss-rtol', bad), bad).toThrow(InputError);
    }
    expect(nonNegativeNumberOption('--loss-rtol', '0')).toBe(0);
    expect(positiveNumberOption('--maxnorm', 'Infinity', { infinity: true })).toBe(Infinity);
    expect(positiveNumberOption('--maxnorm', '1e3', { infinity: true })).toBe(1000);
    // a barrier at norm 0 would push on every network (as the spec, which refuses maxnorm 0)
    for (const bad of ['0', '-0', '0.0', '-5', '0x10']) {
      expect(() => positiveNumberOption('--maxnorm', bad, { infinity: true }), bad).toThrow(`--maxnorm must be a positive number (or Infinity), got "${bad}"`);
    }
    // a number past float64's range is refused as such, not read as Infinity (nor, where Infinity is
    // allowed, taken for it: only the word says no limit)
    expect(() => nonNegativeNumberOption('--loss-rtol', '1e999')).toThrow(`--loss-rtol: 1e999 is beyond float64's range (about 1.8e308)`);
    expect(() => positiveNumberOption('--maxnorm', '-1e400', { infinity: true })).toThrow(`--maxnorm: -1e400 is beyond float64's range (about 1.8e308); write Infinity for no limit`);
    expect(() => parseThresholds('cosine=1e999')).toThrow(`cosine: 1e999 is beyond float64's range (about 1.8e308); write Infinity for no limit`);
    expect(integerOption('--slots', '64', 1)).toBe(64);
    expect(integerOption('--port', '0', 0, 65535)).toBe(0);
    for (const bad of ['0', '1.5', '1e3', '0x10', ' ', 'two']) expect(() => integerOption('--slots', bad, 1), bad).toThrow(`--slots must be a positive integer, got "${bad}"`);
    expect(() => integerOption('--port', '65536', 0, 65535)).toThrow('--port must be an integer from 0 to 65535, got "65536"');
  });

  it('reads a fraction or a percentage exactly as its decimal: 99.9% is 999/1000 (99.9/100 is one rounding above it)', () => {
    for (let k = 0; k <= 1000; k++) {
      expect(fractionOption('--min-agreement', `${k / 10}%`), `${k / 10}%`).toBe(k / 1000);
      expect(fractionOption('--min-agreement', String(k / 1000))).toBe(k / 1000);
    }
    expect(fractionOption('--min-agreement', ' 95% ')).toBe(0.95);
    for (const bad of ['1.5', '150%', '-0.1', 'most', '%', '0x1', '', '5%%', 'Infinity']) {
      expect(() => fractionOption('--min-agreement', bad), bad).toThrow(`--min-agreement must be a fraction from 0 to 1 (or a percentage such as 95%), got "${bad}"`);
    }
  });

  it('--thresholds takes each threshold once: a second value is refused, not the last one silently used', async () => {
    expect(parseThresholds('cosine=1e-3, strictCosine=1e-4')).toEqual({ cosine: 1e-3, strictCosine: 1e-4 });
    expect(() => parseThresholds('cosine=1,cosine=2')).toThrow('cosine is given twice ("cosine=1,cosine=2"): give each threshold once');
    const { code, stderr } = await runCli(['analyze', '--params', 'p.json', '--data', 'd.csv', '--thresholds', 'cosine=1,cosine=2']);
    expect(code).toBe(2);
    expect(stderr).toBe('channelscope: --thresholds: cosine is given twice ("cosine=1,cosine=2"): give each threshold once\n');
  });

  it('on the command line: eval and analyze refuse --maxnorm 0x10 and 0 with exit code 2', async () => {
    for (const [command, value] of [['eval', '0x10'], ['analyze', '0']]) {
      const { code, stderr } = await runCli([command, '--params', 'p.json', '--data', 'd.csv', '--maxnorm', value]);
      expect(code).toBe(2);
      expect(stderr).toBe(`channelscope: --maxnorm must be a positive number (or Infinity), got "${value}"\n`);
    }
  });
});
