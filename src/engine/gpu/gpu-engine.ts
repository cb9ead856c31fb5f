// The WebGPU engine: float32 WGSL kernels, B networks per dispatch.
import { describeGpu, type GpuContext } from '../../gpu/device.js';
import { dispatchGrid, PipelineCache, withErrorScopes } from '../../gpu/kernel.js';
import { parameterCount, validateArchitecture } from '../../model/architecture.js';
import { validateDataset } from '../../data/dataset.js';
import { DEFAULT_MAXNORM, type Engine, type Evaluation, type EvaluationRequest } from '../engine.js';
import { planEvaluateKernel } from './evaluate-kernel.js';

const CONFIG_BYTES = 32;

export class GpuEngine implements Engine {
  readonly backend = 'gpu' as const;
  readonly description: string;
  private readonly pipelines: PipelineCache;

  constructor(readonly gpu: GpuContext) {
    this.description = describeGpu(gpu);
    this.pipelines = new PipelineCache(gpu.device);
  }

  async evaluate(request: EvaluationRequest): Promise<Evaluation> {
    const { arch, data } = request;
    validateArchitecture(arch);
    validateDataset(data);
    const P = parameterCount(arch);
    const B = request.params.length / P;
    checkRequest(request, P, B);
    const hvp = request.directions !== undefined;
    const plan = planEvaluateKernel(arch, hvp, this.gpu.limits);
    const device = this.gpu.device;

    return withErrorScopes(device, 'GPU evaluation', async () => {
      const pipeline = await this.pipelines.get(plan.program);
      const config = new ArrayBuffer(CONFIG_BYTES);
      const configU32 = new Uint32Array(config);
      const configF32 = new Float32Array(config);
      configU32[0] = B;
      configU32[1] = data.samples;
      configU32[2] = data.count === 1 ? 0 : data.samples;
      configF32[4] = request.maxnorm ?? DEFAULT_MAXNORM;
      configF32[5] = 1 / data.samples;

      const created: GPUBuffer[] = [];
      const storage = (contents: Float32Array | ArrayBuffer, usage = GPUBufferUsage.STORAGE) => {
        const bytes = contents instanceof ArrayBuffer ? contents : contents.buffer;
        const buffer = device.createBuffer({ size: Math.max(16, bytes.byteLength), usage: usage | GPUBufferUsage.COPY_DST });
        device.queue.writeBuffer(buffer, 0, bytes);
        created.push(buffer);
        return buffer;
      };
      const output = (floats: number) => {
        const buffer = device.createBuffer({ size: Math.max(16, 4 * floats), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
        created.push(buffer);
        return buffer;
      };
      try {
        const entries: GPUBindGroupEntry[] = [
          { binding: 0, resource: { buffer: storage(config, GPUBufferUsage.UNIFORM) } },
          { binding: 1, resource: { buffer: storage(Float32Array.from(request.params)) } },
          { binding: 2, resource: { buffer: storage(Float32Array.from(data.x)) } },
          { binding: 3, resource: { buffer: storage(Float32Array.from(data.y)) } },
        ];
        const lossBuffer = output(2 * B);
        const gradBuffer = output(B * P);
        entries.push({ binding: 4, resource: { buffer: lossBuffer } }, { binding: 5, resource: { buffer: gradBuffer } });
        let hvpBuffer: GPUBuffer | null = null;
        if (hvp) {
          hvpBuffer = output(B * P);
          entries.push(
            { binding: 6, resource: { buffer: storage(Float32Array.from(request.directions!)) } },
            { binding: 7, resource: { buffer: hvpBuffer } },
          );
        }
        const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });

        const outputs = [lossBuffer, ...(request.gradient ? [gradBuffer] : []), ...(hvpBuffer ? [hvpBuffer] : [])];
        const readbackBytes = outputs.reduce((sum, b) => sum + b.size, 0);
        const readback = device.createBuffer({ size: readbackBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        created.push(readback);

        const encoder = device.createCommandEncoder({ label: 'mlp_evaluate' });
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        const [x, y] = dispatchGrid(B, this.gpu.limits.maxComputeWorkgroupsPerDimension);
        pass.dispatchWorkgroups(x, y);
        pass.end();
        let offset = 0;
        for (const buffer of outputs) {
          encoder.copyBufferToBuffer(buffer, 0, readback, offset, buffer.size);
          offset += buffer.size;
        }
        device.queue.submit([encoder.finish()]);
        await readback.mapAsync(GPUMapMode.READ);
        const mapped = readback.getMappedRange();
        const lossPairs = new Float32Array(mapped, 0, 2 * B);
        const result: Evaluation = { loss: new Float64Array(B), barrier: new Float64Array(B) };
        for (let n = 0; n < B; n++) {
          result.loss[n] = lossPairs[2 * n];
          result.barrier[n] = lossPairs[2 * n + 1];
        }
        offset = lossBuffer.size;
        if (request.gradient) {
          result.gradient = Float64Array.from(new Float32Array(mapped, offset, B * P));
          offset += gradBuffer.size;
        }
        if (hvpBuffer) result.hvp = Float64Array.from(new Float32Array(mapped, offset, B * P));
        readback.unmap();
        return result;
      } finally {
        for (const buffer of created) buffer.destroy();
      }
    });
  }

  dispose(): void {
    this.gpu.dispose();
  }
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
