// The run table sorts run ids as a person counts: seed 2 before seed 10, a configuration's runs together.
import { describe, expect, it } from 'vitest';
import { compareRunIds } from '../../web/src/views/run-order.js';

describe('compareRunIds', () => {
  it('orders the seeds of a configuration by number, not as text', () => {
    const ids = ['75336c35b98c-s10', '75336c35b98c-s2', '75336c35b98c-s1', '75336c35b98c-s0', '75336c35b98c-s11'];
    expect([...ids].sort(compareRunIds)).toEqual(['75336c35b98c-s0', '75336c35b98c-s1', '75336c35b98c-s2', '75336c35b98c-s10', '75336c35b98c-s11']);
  });

  it('keeps the runs of one configuration together', () => {
    const ids = ['f6bdb932d0bf-s10', '75336c35b98c-s2', 'f6bdb932d0bf-s9', '75336c35b98c-s10'];
    expect([...ids].sort(compareRunIds)).toEqual(['75336c35b98c-s2', '75336c35b98c-s10', 'f6bdb932d0bf-s9', 'f6bdb932d0bf-s10']);
  });

  it('tells different ids apart and finds equal ones equal', () => {
    expect(compareRunIds('a-s1', 'a-s01')).not.toBe(0);
    expect(compareRunIds('a-s1', 'a-s1')).toBe(0);
  });
});
