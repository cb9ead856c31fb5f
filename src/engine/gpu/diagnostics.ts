// Per-slot diagnostics of a GPU training ensemble (shaders/mlp_diagnostics.wgsl): one workgroup per
// diagnosed slot, reading the ensemble's resident parameters and datasets; the readback is a few
// dozen floats per slot (plus P eigenvalues when P ≤ 320, FULL_SPECTRUM_MAX_PARAMETERS). Every
// eigenvalue — the full spectrum by parallel Jacobi included — is computed on the GPU; the host only
// sorts the spectrum.
import type { GpuContext } from '../../gpu/device.js';
import { dispatchGrid, withErrorScopes, type PipelineCache } from '../../gpu/kernel.js';
import { Readback } from '../../gpu/readback.js';
import { parameterCount, type Activation, type Architecture } from '../../model/architecture.js';
import { checkDiagnosticsSettings, type DiagnosedPair, type DiagnosticsSettings, type LayerDiagnostics, type RunDiagnostics } from '../../analysis/diagnostics.js';
import type { KernelTuning } from './kernel-strategy.js';
import { DIAGNOSTICS_HEADER_WORDS, DIAGNOSTICS_LAYER_WORDS, forActivations, planDiagnosticsKernel, type DiagnosticsKernelPlan } from './mlp-kernels.js';

const CONFIG_BYTES = 48;
/** Jacobi sweeps at most (it stops earlier once the off-diagonal part vanishes); float32 converges in ~10 */
export const JACOBI_SWEEPS = 20;
/** scratch (Lanczos basis, Hessian) per dispatch at most; larger requests are split into dispatches */
const SCRATCH_BYTES_PER_DISPATCH = 64 * 1024 * 1024;

/** The ensemble's resident buffers the kernel reads. */
export interface DiagnosticsInputs {
  arch: Architecture;
  /** the activations of the ensemble's runs (several: a mixed kernel reads each slot's from `slots`) */
  activations: readonly Activation[];
  samples: number;
  maxnorm: number;
  params: GPUBuffer;
  xs: GPUBuffer;
  ys: GPUBuffer;
  /** samples between consecutive slots' datasets: 0 when the ensemble shares one */
  dataStride: number;
  /** the ensemble's per-slot bookkeeping (mlp_slots.wgsl Slot): a mixed kernel reads the activation there */
  slots: GPUBuffer;
}

export async function gpuDiagnostics(
  gpu: GpuContext,
  pipelines: PipelineCache,
  inputs: DiagnosticsInputs,
  slots: readonly number[],
  settings: DiagnosticsSettings,
  tuning: KernelTuning = {},
  /** reads the results back (an ensemble's pooled staging buffers); by default a staging buffer of this call's own */
  read?: (buffer: GPUBuffer, offset: number, size: number) => Promise<ArrayBuffer>,
): Promise<RunDiagnostics[]> {
  checkDiagnosticsSettings(settings);
  if (slots.length === 0) return [];
  const { arch } = inputs;
  const device = gpu.device;
  const P = parameterCount(arch);
  const plan = planDiagnosticsKernel(arch, gpu.limits, tuning);
  const mixed = inputs.activations.length > 1;
  const program = forActivations(plan.program, inputs.activations);
  const pipeline = await withErrorScopes(device, 'diagnostics kernel', () => pipelines.get(program));
  const lanczosSteps = Math.min(settings.lanczosSteps, P);
  const hessianOffset = lanczosSteps * P;
  const scratchStride = hessianOffset + (plan.spectrumOffset >= 0 ? P * P : 0);
  const scratchLimit = Math.min(SCRATCH_BYTES_PER_DISPATCH, device.limits.maxStorageBufferBindingSize);
  const perDispatch = Math.max(1, Math.floor(scratchLimit / (4 * scratchStride)));
  if (4 * scratchStride > device.limits.maxStorageBufferBindingSize) {
    throw new RangeError(`diagnostics need ${4 * scratchStride} bytes of scratch per network, above this device's storage binding limit`);
  }
  const created: GPUBuffer[] = [];
  const own = read ? null : new Readback(device, 1);
  const ownRead = (source: GPUBuffer, offset: number, size: number) => own!.read(source, offset, size);
  const buffer = (size: number, usage: number) => {
    const b = device.createBuffer({ size: Math.max(16, size), usage });
    created.push(b);
    return b;
  };
  try {
    return await withErrorScopes(device, 'diagnostics', async () => {
      const entrySlots = buffer(4 * slots.length, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
      device.queue.writeBuffer(entrySlots, 0, Uint32Array.from(slots));
      const outputBytes = 4 * slots.length * plan.outputStride;
      const output = buffer(outputBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
      const scratch = buffer(4 * Math.min(perDispatch, slots.length) * scratchStride, GPUBufferUsage.STORAGE);
      const encoder = device.createCommandEncoder({ label: 'mlp_diagnostics' });
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      for (let first = 0; first < slots.length; first += perDispatch) {
        const count = Math.min(perDispatch, slots.length - first);
        const config = new ArrayBuffer(CONFIG_BYTES);
        const u32 = new Uint32Array(config);
        const f32 = new Float32Array(config);
        u32.set([count, inputs.samples, inputs.dataStride, settings.powerIterations, settings.lanczosSteps, JACOBI_SWEEPS, scratchStride, hessianOffset]);
        f32[8] = inputs.maxnorm;
        u32[9] = first;
        const configBuffer = buffer(CONFIG_BYTES, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
        device.queue.writeBuffer(configBuffer, 0, config);
        const bindGroup = device.createBindGroup({
          layout: pipeline.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: { buffer: configBuffer } },
            { binding: 1, resource: { buffer: inputs.params } },
            { binding: 2, resource: { buffer: inputs.xs } },
            { binding: 3, resource: { buffer: inputs.ys } },
            { binding: 4, resource: { buffer: entrySlots } },
            { binding: 5, resource: { buffer: output } },
            { binding: 6, resource: { buffer: scratch } },
            ...(mixed ? [{ binding: 7, resource: { buffer: inputs.slots } }] : []),
          ],
        });
        pass.setBindGroup(0, bindGroup);
        const [x, y] = dispatchGrid(count, gpu.limits.maxComputeWorkgroupsPerDimension);
        pass.dispatchWorkgroups(x, y);
      }
      pass.end();
      device.queue.submit([encoder.finish()]);
      const words = new Float32Array(await (read ?? ownRead)(output, 0, outputBytes));
      return slots.map((_, entry) => decodeDiagnostics(words, entry * plan.outputStride, arch, plan, settings));
    });
  } finally {
    for (const b of created) b.destroy();
    own?.dispose();
  }
}

function decodePair(words: Float32Array, at: number): DiagnosedPair | null {
  if (words[at] < 0) return null;
  const outgoing: [number, number] = [words[at + 3], words[at + 4]];
  return {
    i: words[at],
    j: words[at + 1],
    distance: words[at + 2],
    outgoing,
    sumAbsOutgoing: Math.abs(outgoing[0]) + Math.abs(outgoing[1]),
    oppositeSigns: outgoing[0] * outgoing[1] < 0,
  };
}

function decodeDiagnostics(words: Float32Array, at: number, arch: Architecture, plan: DiagnosticsKernelPlan, settings: DiagnosticsSettings): RunDiagnostics {
  const P = plan.parameterCount;
  const layers: LayerDiagnostics[] = arch.hidden.map((_, layer) => {
    const base = at + DIAGNOSTICS_HEADER_WORDS + layer * DIAGNOSTICS_LAYER_WORDS;
    return { layer, cosine: decodePair(words, base), l2: decodePair(words, base + 5) };
  });
  const spectrum = plan.spectrumOffset >= 0 ? Array.from(words.subarray(at + plan.spectrumOffset, at + plan.spectrumOffset + P)).sort((a, b) => a - b) : null;
  return {
    parameters: P,
    loss: words[at],
    barrier: words[at + 1],
    weightNorm: words[at + 2],
    gradInf: words[at + 3],
    layers,
    lambdaMax: words[at + 4],
    lambdaMin: words[at + 5],
    lanczosLambdaMax: words[at + 6],
    lanczosSteps: words[at + 7],
    powerIterations: settings.powerIterations,
    hessianEigenvalues: spectrum,
  };
}
