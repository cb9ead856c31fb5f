// Every GPU kernel variant (activation × biases × depth) against the float64 CPU engine, on random
// cases that include a channel-regime network (two nearly identical neurons with output weights
// ±150), evaluated once without the barrier and once with network 2 beyond it.
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../src/engine/cpu/cpu-engine.js';
import { allVariants, barrierSettings, compare, compareNetworks, compareWithCpu, makeVariantCase, variantName } from '../../src/engine/verify.js';
import { acquireGpu, SOFTWARE_DAWN_TOGGLES } from '../../src/gpu/device.js';
import { ACTIVATIONS, parameterCount } from '../../src/model/architecture.js';
import { engineWithPlantedFault, expectNoGpuErrors, gpuEngineForSuite } from '../helpers/gpu.js';

const engine = await gpuEngineForSuite();
const cpu = new CpuEngine();
// Tolerances, relative to the largest magnitude of the quantity in each network (the channel
// network's loss and gradient to 10× that, verify.ts CHANNEL_CONDITIONING). Measured on SwiftShader,
// worst of the 42 variants (seed 11) without and with the barrier: loss 2.0e-6 (relu/nobias/[3,2,3]),
// gradient 2.8e-6 (gelu/nobias/[3,3]), both the channel network's; HVP 1.3e-6 (tanh/bias/[3,2,3]).
// Tolerances ≈ 10× that: loss 2e-5, gradient 3e-5, HVP 1e-5. A kernel whose gradient is 0.05% off
// or whose HVP is 0.1% off fails them (planted below). (`channelscope verify` applies looser ones on
// devices never measured: ENGINE_TOLERANCE.)
const TOLERANCE = { loss: 2e-5, gradient: 3e-5, hvp: 1e-5 };

describe.each(ACTIVATIONS)('GPU engine, activation %s', (activation) => {
  for (const arch of allVariants().filter((a) => a.activation === activation)) {
    it(`${variantName(arch)} matches the CPU engine, without and with the barrier`, async () => {
      const c = makeVariantCase(arch, 11);
      for (const maxnorm of barrierSettings(c)) {
        const { reference, errors } = await expectNoGpuErrors(engine.gpu.device, () => compareWithCpu(engine, cpu, c, maxnorm));
        if (Number.isFinite(maxnorm)) expect(reference.barrier[2], 'network 2 lies beyond the barrier').toBeGreaterThan(0);
        else expect(reference.barrier.every((r) => r === 0)).toBe(true);
        expect(errors.loss.maxRel, `loss, maxnorm ${maxnorm}`).toBeLessThanOrEqual(TOLERANCE.loss);
        expect(errors.gradient.maxRel, `gradient, maxnorm ${maxnorm}`).toBeLessThanOrEqual(TOLERANCE.gradient);
        expect(errors.hvp.maxRel, `hvp, maxnorm ${maxnorm}`).toBeLessThanOrEqual(TOLERANCE.hvp);
      }
    });
  }
});

describe('GPU engine tolerances', () => {
  // the same comparison as above on a kernel with a planted fault: the gradient 0.05% off, the HVP
  // 0.1% off (the errors they make, 5e-4 and 1e-3 relative in every network, against 3e-5 and 1e-5)
  it.each([
    ['gradient', { gradient: 1.0005 }],
    ['hvp', { hvp: 1.001 }],
  ] as const)('reject a kernel whose %s is off', async (quantity, fault) => {
    const broken = engineWithPlantedFault(engine.gpu, fault);
    const c = makeVariantCase({ inputDim: 3, hidden: [3, 3], activation: 'softplus', biases: true }, 11);
    for (const maxnorm of barrierSettings(c)) {
      const { errors } = await compareWithCpu(broken, cpu, c, maxnorm);
      expect(errors[quantity].maxRel, `${quantity}, maxnorm ${maxnorm}`).toBeGreaterThan(TOLERANCE[quantity]);
      // (and nothing else is off)
      for (const other of (['loss', 'gradient', 'hvp'] as const).filter((q) => q !== quantity)) expect(errors[other].maxRel).toBeLessThanOrEqual(TOLERANCE[other]);
    }
  });
});

describe('GPU device', () => {
  it('is the software driver with its Dawn toggles (device.ts SOFTWARE_DAWN_TOGGLES) on every acquisition in a process, not only the first', async () => {
    // the first acquisition points VK_ICD_FILENAMES at SwiftShader, so a later one finds it as a system driver
    const second = await acquireGpu();
    expect(second).not.toBeNull();
    try {
      expect(second!.software).toBe(engine.gpu.software);
      expect(engine.gpu.dawnToggles).toEqual(engine.gpu.software ? SOFTWARE_DAWN_TOGGLES : []);
      expect(second!.dawnToggles).toEqual(engine.gpu.dawnToggles);
    } finally {
      second?.dispose();
    }
  });
});

describe('expectNoGpuErrors (tests/helpers/gpu.ts)', () => {
  it('pops its error scopes when the work throws, so that none is left for the next test', async () => {
    await expect(expectNoGpuErrors(engine.gpu.device, async () => Promise.reject(new Error('planted failure')))).rejects.toThrow('planted failure');
    // nothing left pushed: one more pop has no scope to pop
    await expect(engine.gpu.device.popErrorScope()).rejects.toThrow();
  });
});

describe('GPU engine layouts', () => {
  it('handles one dataset per network', async () => {
    const arch = { inputDim: 2, hidden: [3], activation: 'softplus' as const, biases: true };
    const B = 3;
    const c = makeVariantCase(arch, 5, 20, B);
    // give each network its own (shifted) copy of the data
    const x = new Float64Array(B * c.data.x.length);
    const y = new Float64Array(B * c.data.y.length);
    for (let n = 0; n < B; n++) {
      x.set(c.data.x.map((v) => v + 0.1 * n), n * c.data.x.length);
      y.set(c.data.y.map((v) => v - 0.2 * n), n * c.data.y.length);
    }
    const data = { ...c.data, count: B, x, y };
    const request = { arch, data, params: c.params, directions: c.directions, gradient: true, maxnorm: c.barrierMaxnorm };
    const gpu = await expectNoGpuErrors(engine.gpu.device, () => engine.evaluate(request));
    const ref = await cpu.evaluate(request);
    // (measured: loss 7.1e-7, gradient 1.9e-8, HVP 5.0e-8 relative to the batch's largest entry)
    expect(compare(gpu.loss, ref.loss, TOLERANCE.loss).maxRel).toBeLessThanOrEqual(TOLERANCE.loss);
    expect(compare(gpu.gradient!, ref.gradient!, TOLERANCE.gradient).maxRel).toBeLessThanOrEqual(TOLERANCE.gradient);
    expect(compare(gpu.hvp!, ref.hvp!, TOLERANCE.hvp).maxRel).toBeLessThanOrEqual(TOLERANCE.hvp);
  });

  it('folds more than 65,535 networks into a 2-D dispatch', async () => {
    const arch = { inputDim: 1, hidden: [2], activation: 'tanh' as const, biases: false };
    const P = parameterCount(arch);
    const B = 65_536 + 7;
    const c = makeVariantCase(arch, 3, 4, 1);
    const params = new Float64Array(B * P);
    const directions = new Float64Array(B * P);
    for (let n = 0; n < B; n++) {
      for (let k = 0; k < P; k++) {
        params[n * P + k] = c.params[k] * (1 + (n % 97) / 97);
        directions[n * P + k] = c.directions[k] * (1 - (n % 89) / 178);
      }
    }
    const request = { arch, data: c.data, params, directions, gradient: true };
    // 4 threads per workgroup for 4 samples: SwiftShader runs every invocation, idle or not
    const narrow = engine.withTuning({ tile: 4 });
    const gpu = await expectNoGpuErrors(engine.gpu.device, () => narrow.evaluate(request));
    // a spread of networks against the CPU engine, the last ones included: each output's rows
    // (loss, gradient and HVP at net·P) past the fold at 65,535 workgroups; gradient and HVP relative
    // to each network's largest entry. Measured on SwiftShader: loss 1.7e-7, gradient 1.4e-7, HVP
    // 8.7e-8, well inside the file's tolerances (a folding fault, a row written or read at the wrong
    // network, is O(1))
    const picks = [0, 1, 65_534, 65_535, 65_536, B - 1];
    const subset = (values: ArrayLike<number>, size: number) => {
      const picked = new Float64Array(picks.length * size);
      picks.forEach((n, i) => picked.set(Array.prototype.slice.call(values, n * size, (n + 1) * size), i * size));
      return picked;
    };
    const ref = await cpu.evaluate({ ...request, params: subset(params, P), directions: subset(directions, P) });
    const errors = {
      loss: compare(subset(gpu.loss, 1), ref.loss, TOLERANCE.loss).maxRel,
      gradient: compareNetworks(subset(gpu.gradient!, P), ref.gradient!, picks.length, TOLERANCE.gradient).maxRel,
      hvp: compareNetworks(subset(gpu.hvp!, P), ref.hvp!, picks.length, TOLERANCE.hvp).maxRel,
    };
    expect(errors.loss, 'loss').toBeLessThanOrEqual(TOLERANCE.loss);
    expect(errors.gradient, 'gradient').toBeLessThanOrEqual(TOLERANCE.gradient);
    expect(errors.hvp, 'HVP').toBeLessThanOrEqual(TOLERANCE.hvp);
  });
});
