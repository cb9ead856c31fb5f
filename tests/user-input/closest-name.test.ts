// The name a mistyped one was meant to be, for refusals of unknown names (spec fields, parameter-file
// keys, presets): typos within a few edits, and names cut short where only one name begins so.
import { describe, expect, it } from 'vitest';
import { closestName } from '../../src/user-input/closest-name.js';

const PRESETS = ['loss-levels', 'saddle-perturbation', 'channel-frequency', 'channel-jump', 'toy-1d', 'edge-of-stability', 'gd-from-channel', 'optimizer-comparison'];

describe('closestName', () => {
  it('finds a typo within two edits (one for names under four letters; two for four or five only in an abbreviation), a swap of neighbours counting one', () => {
    expect(closestName('weigths', ['weights', 'bias'])).toBe('weights');
    expect(closestName('biases', ['weights', 'bias'])).toBe('bias');
    expect(closestName('nmae', ['name', 'seeds'])).toBe('name');
    // two edits of a short name reach unrelated words
    expect(closestName('nope', ['name', 'seeds'])).toBeUndefined();
    expect(closestName('hidn', ['inputDim', 'hidden'])).toBe('hidden');
    expect(closestName('samps', ['samples', 'inputs'])).toBe('samples');
    expect(closestName('lrr', ['lr', 'kind'])).toBe('lr');
    expect(closestName('chanel-jump', PRESETS)).toBe('channel-jump');
    expect(closestName('hiden', ['hidden', 'inputDim'])).toBe('hidden');
    expect(closestName('S', ['s', 'c'])).toBe('s');
    expect(closestName('ab', ['c', 'lr'])).toBeUndefined();
  });

  it('finds the one name that a name cut short begins, from four letters on; none where several begin so', () => {
    expect(closestName('channel-freq', PRESETS)).toBe('channel-frequency');
    expect(closestName('edge', PRESETS)).toBe('edge-of-stability');
    expect(closestName('channel', PRESETS)).toBeUndefined();
    expect(closestName('toy', PRESETS)).toBeUndefined();
    expect(closestName('arch', ['architecture', 'data'])).toBe('architecture');
    expect(closestName('bias', ['inputDim', 'hidden', 'activation', 'biases'])).toBe('biases');
  });
});
