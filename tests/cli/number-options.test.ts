// Numbers on the command line: decimal notation only, so that a typo is refused rather than read
// as another value (Number() reads "0x10" as 16 and " " as 0).
import { describe, expect, it } from 'vitest';
import { integerOption, nonNegativeNumberOption, parseThresholds } from '../../src/cli/number-options.js';
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
    expect(() => nonNegativeNumberOption('--maxnorm', '0x10', { infinity: true })).toThrow('--maxnorm must be a non-negative number (or Infinity), got "0x10"');
    expect(integerOption('--slots', '64', 1)).toBe(64);
    expect(integerOption('--port', '0', 0, 65535)).toBe(0);
    for (const bad of ['0', '1.5', '1e3', '0x10', ' ', 'two']) expect(() => integerOption('--slots', bad, 1), bad).toThrow(`--slots must be a positive integer, got "${bad}"`);
    expect(() => integerOption('--port', '65536', 0, 65535)).toThrow('--port must be an integer from 0 to 65535, got "65536"');
  });

  it('--thresholds takes each threshold once: a second value is refused, not the last one silently used', async () => {
    expect(parseThresholds('cosine=1e-3, strictCosine=1e-4')).toEqual({ cosine: 1e-3, strictCosine: 1e-4 });
    expect(() => parseThresholds('cosine=1,cosine=2')).toThrow('cosine is given twice ("cosine=1,cosine=2"): give each threshold once');
    const { code, stderr } = await runCli(['analyze', '--params', 'p.json', '--data', 'd.csv', '--thresholds', 'cosine=1,cosine=2']);
    expect(code).toBe(2);
    expect(stderr).toBe('channelscope: --thresholds: cosine is given twice ("cosine=1,cosine=2"): give each threshold once\n');
  });

  it('on the command line: eval --maxnorm 0x10 is refused with exit code 2', async () => {
    const { code, stderr } = await runCli(['eval', '--params', 'p.json', '--data', 'd.csv', '--maxnorm', '0x10']);
    expect(code).toBe(2);
    expect(stderr).toBe('channelscope: --maxnorm must be a non-negative number (or Infinity), got "0x10"\n');
  });
});
