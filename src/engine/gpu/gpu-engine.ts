// The WebGPU engine: float32 WGSL kernels, B networks per dispatch.
import { describeGpu, type GpuContext } from '../../gpu/device.js';
import { dispatchGrid, PipelineCache, withErrorScopes } from '../../gpu/kernel.js';
import { PassTimer } from '../../gpu/pass-timer.js';
import { parameterCount, validateArchitecture, type Activation } from '../../model/architecture.js';
import { validateDataset } from '../../data/dataset.js';
import { DEFAULT_MAXNORM, type Engine, type Evaluation, type EvaluationRequest } from '../engine.js';
import { FULL_STIFF_PRECISION, planEvaluateKernel, stiffStorage, type StiffPrecision } from './mlp-kernels.js';
import { bindingBytes, GpuEnsemble, plannedArchitecture, slotFloats, slotsThatFit } from './gpu-ensemble.js';
import type { KernelTuning } from './kernel-strategy.js';
import type { EnsembleOptions, TrainingEnsemble } from '../training.js';

const CONFIG_BYTES = 32;

/**
 * An evaluation whose inputs already sit on the GPU: dispatch it as often as needed (benchmarks,
 * power iterations), then read the outputs back once.
 */
export interface ResidentEvaluation {
  readonly networks: number;
  /** encodes `repeats` dispatches in one submit and waits for the GPU to finish */
  run(repeats?: number): Promise<void>;
  /**
   * Switches on timestamp queries around run()'s passes (benchmarks): returns false when the device
   * lacks 'timestamp-query'. gpuSeconds() then sums the GPU time of every later run().
   */
  timeGpu(): boolean;
  /** GPU seconds of run() since timeGpu() (null when not timed or unavailable) */
  gpuSeconds(): number | null;
  read(): Promise<Evaluation>;
  destroy(): void;
}

/**
 * Every precision measure on; the Hessian in dispatches of its own only on a GPU. They spread it over
 * a GPU that one workgroup per network leaves mostly idle; a software adapter (SwiftShader) has
 * nothing idle to spread over and pays for the extra dispatches: one hidden layer's stiff steps
 * 1.4–1.6× slower, double-float's 10–20% (benchmarks/results/closed-hessian-dispatches-2026-12-05.md).
 */
export function defaultStiffPrecision(gpu: Pick<GpuContext, 'software'>): StiffPrecision {
  return { ...FULL_STIFF_PRECISION, hessianDispatches: !gpu.software };
}

export class GpuEngine implements Engine {
  readonly backend = 'gpu' as const;
  readonly description: string;

  /** `tuning` pins the kernels' strategy (kernel-strategy.ts); benchmarks compare strategies with it */
  constructor(
    readonly gpu: GpuContext,
    readonly tuning: KernelTuning = {},
    /** how stiff flow keeps float32 from losing channels: group coordinates, double-float (mlp-kernels.ts StiffPrecision) */
    readonly precision: StiffPrecision = defaultStiffPrecision(gpu),
    /** compiled kernels, shared by the engines derived from this one (withTuning, withoutDoubleFloat, …) */
    private readonly pipelines: PipelineCache = new PipelineCache(gpu.device),
  ) {
    if (tuning.subgroups && !gpu.hasSubgroups) throw new RangeError(`kernel strategy +subgroups: this device (${describeGpu(gpu)}) lacks the 'subgroups' feature`);
    this.description = describeGpu(gpu);
  }

  async evaluate(request: EvaluationRequest): Promise<Evaluation> {
    const resident = await this.prepare(request);
    try {
      await resident.run(1);
      return await resident.read();
    } finally {
      resident.destroy();
    }
  }

  /** Uploads parameters, data and directions and compiles (or reuses) the kernel. */
  async prepare(request: EvaluationRequest): Promise<ResidentEvaluation> {
    const { arch, data } = request;
    validateArchitecture(arch);
    validateDataset(data);
    const P = parameterCount(arch);
    const B = request.params.length / P;
    checkRequest(request, P, B);
    const hvp = request.directions !== undefined;
    const plan = planEvaluateKernel(arch, hvp, this.gpu.limits, this.tuning, request.pairs ?? 0);
    const device = this.gpu.device;
    const created: GPUBuffer[] = [];
    const destroy = () => created.splice(0).forEach((buffer) => buffer.destroy());

    try {
      return await withErrorScopes(device, 'GPU evaluation setup', async () => {
        const pipeline = await this.pipelines.get(plan.program);
        const config = new ArrayBuffer(CONFIG_BYTES);
        const configU32 = new Uint32Array(config);
        const configF32 = new Float32Array(config);
        configU32[0] = B;
        configU32[1] = data.samples;
        configU32[2] = data.count === 1 ? 0 : data.samples;
        configF32[4] = request.maxnorm ?? DEFAULT_MAXNORM;
        configF32[5] = 1 / data.samples;

        const input = (contents: ArrayBuffer, usage = GPUBufferUsage.STORAGE) => {
          const buffer = device.createBuffer({ size: Math.max(16, contents.byteLength), usage: usage | GPUBufferUsage.COPY_DST });
          device.queue.writeBuffer(buffer, 0, contents);
          created.push(buffer);
          return buffer;
        };
        const floats = (values: ArrayLike<number>) => Float32Array.from(values).buffer;
        const output = (count: number) => {
          const buffer = device.createBuffer({ size: Math.max(16, 4 * count), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
          created.push(buffer);
          return buffer;
        };
        const lossBuffer = output(2 * B);
        const gradBuffer = output(B * P);
        const hvpBuffer = hvp ? output(B * P) : null;
        const entries: GPUBindGroupEntry[] = [
          { binding: 0, resource: { buffer: input(config, GPUBufferUsage.UNIFORM) } },
          { binding: 1, resource: { buffer: input(floats(request.params)) } },
          { binding: 2, resource: { buffer: input(floats(data.x)) } },
          { binding: 3, resource: { buffer: input(floats(data.y)) } },
          { binding: 4, resource: { buffer: lossBuffer } },
          { binding: 5, resource: { buffer: gradBuffer } },
        ];
        if (hvpBuffer) {
          entries.push({ binding: 6, resource: { buffer: input(floats(request.directions!)) } }, { binding: 7, resource: { buffer: hvpBuffer } });
        }
        const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
        const [groupsX, groupsY] = dispatchGrid(B, this.gpu.limits.maxComputeWorkgroupsPerDimension);
        const outputs = [lossBuffer, ...(request.gradient ? [gradBuffer] : []), ...(hvpBuffer ? [hvpBuffer] : [])];
        const readback = device.createBuffer({
          size: outputs.reduce((sum, b) => sum + b.size, 0),
          usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        });
        created.push(readback);
        // timestamps only when asked for: each timed run() costs a readback of its query results
        let timer: PassTimer | null = null;

        return {
          networks: B,
          run: (repeats = 1) =>
            withErrorScopes(device, 'GPU evaluation', async () => {
              const encoder = device.createCommandEncoder({ label: 'mlp_evaluate' });
              const pass = encoder.beginComputePass({ timestampWrites: timer?.nextPass() });
              pass.setPipeline(pipeline);
              pass.setBindGroup(0, bindGroup);
              for (let r = 0; r < repeats; r++) pass.dispatchWorkgroups(groupsX, groupsY);
              pass.end();
              timer?.resolve(encoder);
              device.queue.submit([encoder.finish()]);
              await device.queue.onSubmittedWorkDone();
              await timer?.read();
            }),
          timeGpu: () => {
            timer ??= new PassTimer(device);
            return timer.available;
          },
          gpuSeconds: () => (timer?.available ? timer.totalSeconds : null),
          read: () =>
            withErrorScopes(device, 'GPU readback', async () => {
              const encoder = device.createCommandEncoder({ label: 'mlp_evaluate readback' });
              let offset = 0;
              for (const buffer of outputs) {
                encoder.copyBufferToBuffer(buffer, 0, readback, offset, buffer.size);
                offset += buffer.size;
              }
              device.queue.submit([encoder.finish()]);
              await readback.mapAsync(GPUMapMode.READ);
              try {
                return unpackOutputs(readback.getMappedRange(), B, P, Boolean(request.gradient), hvp, lossBuffer.size, gradBuffer.size);
              } finally {
                readback.unmap();
              }
            }),
          destroy: () => {
            destroy();
            timer?.destroy();
          },
        };
      });
    } catch (error) {
      destroy();
      throw error;
    }
  }

  /** The same device with other kernel strategies pinned; dispose only the engine that acquired it. */
  withTuning(tuning: KernelTuning): GpuEngine {
    return new GpuEngine(this.gpu, { ...this.tuning, ...tuning }, this.precision, this.pipelines);
  }

  /** The same device with stiff flow in network coordinates only, as before group coordinates (comparisons). */
  withoutGroupCoordinates(): GpuEngine {
    return new GpuEngine(this.gpu, this.tuning, { ...this.precision, groupCoordinates: false }, this.pipelines);
  }

  /** The same device with the stiff Hessian in dispatches of its own (`on`) or assembled in the step kernel (comparisons). */
  withHessianDispatches(on: boolean): GpuEngine {
    return new GpuEngine(this.gpu, this.tuning, { ...this.precision, hessianDispatches: on }, this.pipelines);
  }

  /** The same device with deep networks' stiff flow in float32, as before double-float (comparisons). */
  withoutDoubleFloat(): GpuEngine {
    return new GpuEngine(this.gpu, this.tuning, { ...this.precision, doubleFloat: false }, this.pipelines);
  }

  async createEnsemble(options: EnsembleOptions): Promise<TrainingEnsemble> {
    return GpuEnsemble.create(this.gpu, this.pipelines, options, this.description, this.tuning, this.precision);
  }

  maxSlots(options: Omit<EnsembleOptions, 'slots'>): number {
    return slotsThatFit(slotFloats(options, stiffStorage(plannedArchitecture(options), this.precision)), bindingBytes(this.gpu.device.limits));
  }

  /**
   * Two on a GPU: while one group's host reads its status, applies the stop rules and refills, the
   * other's dispatches keep the queue full. One on a software adapter, whose "GPU" is the same CPU.
   */
  get groupsInFlight(): number {
    return this.gpu.software ? 1 : 2;
  }

  /** every activation: one kernel reads each slot's (mlp-kernels.ts plannedActivation) */
  activationGroup(_activation: Activation): string {
    return 'one kernel';
  }

  dispose(): void {
    this.gpu.dispose();
  }
}

function unpackOutputs(mapped: ArrayBuffer, B: number, P: number, gradient: boolean, hvp: boolean, lossBytes: number, gradBytes: number): Evaluation {
  const lossPairs = new Float32Array(mapped, 0, 2 * B);
  const result: Evaluation = { loss: new Float64Array(B), barrier: new Float64Array(B) };
  for (let n = 0; n < B; n++) {
    result.loss[n] = lossPairs[2 * n];
    result.barrier[n] = lossPairs[2 * n + 1];
  }
  let offset = lossBytes;
  if (gradient) {
    result.gradient = Float64Array.from(new Float32Array(mapped, offset, B * P));
    offset += gradBytes;
  }
  if (hvp) result.hvp = Float64Array.from(new Float32Array(mapped, offset, B * P));
  return result;
}

function checkRequest(request: EvaluationRequest, P: number, B: number): void {
  if (!Number.isInteger(B) || B < 1) {
    throw new RangeError(`parameters hold ${request.params.length} values, not a whole number of networks of ${P} parameters`);
  }
  if (request.directions && request.directions.length !== request.params.length) {
    throw new RangeError(`directions hold ${request.directions.length} values, expected ${request.params.length}`);
  }
  if (request.data.inputDim !== request.arch.inputDim) {
    throw new RangeError(`dataset has ${request.data.inputDim} inputs, the network expects ${request.arch.inputDim}`);
  }
  if (request.data.count !== 1 && request.data.count !== B) {
    throw new RangeError(`dataset count must be 1 (shared) or ${B} (one per network), got ${request.data.count}`);
  }
}
