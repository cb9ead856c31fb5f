// The page's CPU engine is described in one word for its Web Workers: the engine line and the notice
// both say "workers" (the engine's own description counts "threads", as the command line's are).
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../src/engine/cpu/cpu-engine.js';
import { pageCpuDescription, workersNote } from '../../web/src/worker/cpu-slot-pool.js';

const unused = () => {
  throw new Error('no ensemble is built here');
};

describe("the page's CPU engine in words", () => {
  it('counts Web Workers where the engine spreads over several', () => {
    const engine = new CpuEngine({ threads: 4, threadedEnsemble: unused });
    expect(pageCpuDescription(engine)).toMatch(/^CPU, float64.*, 4 workers$/);
    expect(pageCpuDescription(engine)).not.toMatch(/thread/);
    expect(workersNote(engine)).toBe(', 4 workers');
  });

  it('says nothing of workers for one', () => {
    const engine = new CpuEngine();
    expect(pageCpuDescription(engine)).toBe(engine.description);
    expect(workersNote(engine)).toBe('');
  });
});
