// The folders in the commands that messages suggest paste back as one shell word each.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellWord } from '../../src/user-input/shell-word.js';

describe('shellWord', () => {
  it('leaves a plain path as it is and quotes any other, so that sh reads it back unchanged', () => {
    expect(shellWord('runs/channel-frequency-20261207-213320')).toBe('runs/channel-frequency-20261207-213320');
    expect(shellWord('sp ace/ünï/out dir')).toBe("'sp ace/ünï/out dir'");
    for (const text of ['sp ace/out dir', "it's here", 'a"b', '$HOME/x', '*', 'a\\b', '~/x', '']) {
      expect(execFileSync('sh', ['-c', `printf %s ${shellWord(text)}`], { encoding: 'utf8' }), text).toBe(text);
    }
  });
});
