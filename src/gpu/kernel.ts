// A kernel is a small program object: name, compile-time key, WGSL files and their definitions.
// Pipelines are cached per device by key; runtime sizes never enter the key.
import { buildShader, type ShaderDefinitions } from './shader-source.js';

export interface KernelProgram {
  name: string;
  /** every compile-time fact that changes the WGSL, and nothing else */
  key: string;
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
    const cacheKey = `${program.name}|${program.key}`;
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

/** Runs `work` inside a validation and an out-of-memory error scope and throws what they caught. */
export async function withErrorScopes<T>(device: GPUDevice, what: string, work: () => Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T;
  try {
    result = await work();
  } finally {
    const validation = await device.popErrorScope();
    const memory = await device.popErrorScope();
    const error = validation ?? memory;
    if (error) throw new Error(`${what}: WebGPU ${validation ? 'validation' : 'out-of-memory'} error: ${error.message}`);
  }
  return result;
}
