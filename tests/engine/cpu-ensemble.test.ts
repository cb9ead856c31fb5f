// The CPU ensemble's gradient flow on the 1-D toy problem (science.md): with the same budget of
// gradient evaluations the stiff solver follows the channel far out, the explicit one stalls.
import { describe, expect, it } from 'vitest';
import { CpuEnsemble } from '../../src/engine/cpu/cpu-ensemble.js';
import { toyPairCoordinates, toyDataset, toyStart, TOY_ARCHITECTURE } from '../helpers/toy.js';

describe('CPU ensemble gradient flow on the toy problem', () => {
  it('rosenbrock23 follows the channel (1/ε > 50) where dopri5 stalls near the entrance (1/ε < 5)', async () => {
    const data = toyDataset(512, 1);
    const reached: Record<string, { inverseEpsilon: number; evaluations: number }> = {};
    for (const solver of ['rosenbrock23', 'dopri5'] as const) {
      const ensemble = new CpuEnsemble({
        arch: TOY_ARCHITECTURE,
        optimizer: { kind: 'flow', solver, rtol: 1e-3, atol: 1e-6 },
        samples: 512,
        slots: 1,
        maxnorm: 1e3,
      });
      await ensemble.load(0, { params: toyStart(), data, seed: 1, runIndex: 0 });
      // equal budgets: advance in chunks until 1,500 gradient-evaluation equivalents are spent
      let status = (await ensemble.status())[0];
      while (status.evaluations < 1500 && status.finite && status.weightNorm < 1e3) {
        await ensemble.advance(10);
        status = (await ensemble.status())[0];
      }
      reached[solver] = { inverseEpsilon: toyPairCoordinates(await ensemble.parameters(0)).inverseEpsilon, evaluations: status.evaluations };
    }
    expect(reached.rosenbrock23.inverseEpsilon).toBeGreaterThan(50);
    expect(reached.dopri5.inverseEpsilon).toBeLessThan(5);
    expect(reached.dopri5.evaluations).toBeGreaterThanOrEqual(1500);
  });
});

describe('CPU ensemble on the calling thread', () => {
  it('lets the event loop run during a long advance (signals, the page), with results as without pauses', async () => {
    const make = async (breatherMs?: number) => {
      const ensemble = new CpuEnsemble({ arch: TOY_ARCHITECTURE, optimizer: { kind: 'gd', lr: 0.05 }, samples: 1024, slots: 8, maxnorm: 1e3, breatherMs });
      const data = toyDataset(1024, 1);
      for (let slot = 0; slot < 8; slot++) await ensemble.load(slot, { params: toyStart(), data, seed: 1, runIndex: slot });
      return ensemble;
    };
    // breatherMs 0: the advance pauses after every slot, whatever the machine's speed, so a timer
    // set before it runs before it ends
    const ensemble = await make(0);
    const order: string[] = [];
    setTimeout(() => order.push('timer'), 0);
    await ensemble.advance(200);
    order.push('advanced');
    expect(order).toEqual(['timer', 'advanced']);
    // one advance of 200 steps equals four of 50 (pauses change nothing)
    const stepwise = await make(); // the default interval
    for (let k = 0; k < 4; k++) await stepwise.advance(50);
    expect(await stepwise.allParameters()).toEqual(await ensemble.allParameters());
  });
});
