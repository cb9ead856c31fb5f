// A kernel is a small program object: name, WGSL files and their definitions (compile-time facts;
// runtime sizes never enter them). Pipelines are cached per device by all of these.
import { buildShader, type ShaderDefinitions } from './shader-source.js';
import { InputError } from '../user-input/input-error.js';

export interface KernelProgram {
  name: string;
  /** shader files, shared snippets first */
  files: string[];
  definitions: ShaderDefinitions;
  entryPoint?: string;
  /** WGSL extensions to enable (`enable NAME;` ahead of the first file), e.g. subgroups */
  extensions?: string[];
}

export class PipelineCache {
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(private readonly device: GPUDevice) {}

  get(program: KernelProgram): Promise<GPUComputePipeline> {
    // everything the source and the pipeline are made from: engines that differ in tuning or
    // precision share one cache
    const definitions = Object.keys(program.definitions).sort().map((name) => `${name}=${program.definitions[name]}`);
    const cacheKey = [program.name, program.entryPoint ?? 'main', program.files.join(','), (program.extensions ?? []).join(','), ...definitions].join('|');
    let pipeline = this.pipelines.get(cacheKey);
    if (!pipeline) {
      pipeline = this.create(program);
      pipeline.catch(() => this.pipelines.delete(cacheKey));
      this.pipelines.set(cacheKey, pipeline);
    }
    return pipeline;
  }

  private async create(program: KernelProgram): Promise<GPUComputePipeline> {
    const enables = (program.extensions ?? []).map((extension) => `enable ${extension};\n`).join('');
    const code = enables + (await buildShader(program.files, program.definitions));
    const module = this.device.createShaderModule({ label: program.name, code });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      const lines = code.split('\n');
      const detail = errors.map((m) => `  line ${m.lineNum}: ${m.message}\n    ${lines[m.lineNum - 1]?.trim() ?? ''}`);
      throw new Error(`WGSL compilation of ${program.name} failed:\n${detail.join('\n')}`);
    }
    return this.device.createComputePipelineAsync({
      label: program.name,
      layout: 'auto',
      compute: { module, entryPoint: program.entryPoint ?? 'main' },
    });
  }
}

/** Workgroup grid for `groups` workgroups: folded into 2-D above the per-dimension limit. */
export function dispatchGrid(groups: number, maxPerDimension: number): [number, number] {
  if (groups <= maxPerDimension) return [groups, 1];
  const y = Math.ceil(groups / maxPerDimension);
  return [Math.ceil(groups / y), y];
}

/**
 * Runs `work` inside a validation and an out-of-memory error scope and throws what they caught. The
 * scopes are one stack per device: callers interleaved across awaits (the scheduler's groups in
 * flight) may pop each other's scopes, so an error always surfaces, but possibly under the other's name.
 */
export async function withErrorScopes<T>(device: GPUDevice, what: string, work: () => Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T;
  try {
    result = await work();
  } finally {
    const validation = await device.popErrorScope();
    const memory = await device.popErrorScope();
    // (a validation error is ours, a bug; memory running out is this device's limit, which fewer
    // networks at once meet: said so, as bad input)
    if (validation) throw new Error(`${what}: WebGPU validation error: ${validation.message}`);
    if (memory) throw new InputError(`${what}: the GPU ran out of memory (${memory.message}): run fewer networks at once (--slots N)`);
  }
  return result;
}

/**
 * Runs a check kernel (tests, device checks) whose bindings are one storage input (binding 0, `input`) and one storage
 * output (binding 1, `outputFloats` floats) over `workgroups` workgroups, and reads the output back.
 */
export async function runPointKernel(device: GPUDevice, pipelines: PipelineCache, program: KernelProgram, input: Float32Array<ArrayBuffer>, outputFloats: number, workgroups: number): Promise<Float32Array> {
  const created: GPUBuffer[] = [];
  const make = (size: number, usage: number) => {
    const buffer = device.createBuffer({ size, usage });
    created.push(buffer);
    return buffer;
  };
  try {
    return await withErrorScopes(device, program.name, async () => {
      const pipeline = await pipelines.get(program);
      const points = make(input.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
      device.queue.writeBuffer(points, 0, input);
      const bytes = 4 * outputFloats;
      const output = make(bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
      const readback = make(bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
      const bindGroup = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: points } },
          { binding: 1, resource: { buffer: output } },
        ],
      });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(workgroups);
      pass.end();
      encoder.copyBufferToBuffer(output, 0, readback, 0, bytes);
      device.queue.submit([encoder.finish()]);
      await readback.mapAsync(GPUMapMode.READ);
      const result = new Float32Array(readback.getMappedRange().slice(0));
      readback.unmap();
      return result;
    });
  } finally {
    created.forEach((buffer) => buffer.destroy());
  }
}
