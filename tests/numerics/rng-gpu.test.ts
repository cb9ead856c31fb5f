// shaders/philox.wgsl against src/numerics/rng.ts: the same bits on the GPU as on the CPU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireGpu, type GpuContext } from '../../src/gpu/device.js';
import { PipelineCache, withErrorScopes, type KernelProgram } from '../../src/gpu/kernel.js';
import { minibatchIndex, philox4x32, randomIndex, RandomStream, seedKey, STREAMS, toUniform } from '../../src/numerics/rng.js';

const ONES = 0xffffffff;
const N_VALUES = [1, 16, 1000, 4096, 10000, 16777217, ONES];

interface Config {
  counter0?: number;
  run?: number;
  stream?: number;
  c3?: number;
  key?: [number, number];
  n?: number;
  count: number;
  step0?: number;
  batch?: number;
  samples?: number;
}

function program(entryPoint: 'main' | 'convert' | 'minibatch'): KernelProgram {
  return { name: `philox_test.${entryPoint}`, files: ['philox.wgsl', 'philox_test.wgsl'], definitions: {}, entryPoint };
}

/** Up to `limit` mismatches between two arrays, as readable lines. */
function mismatches(got: ArrayLike<number>, want: ArrayLike<number>, label: (k: number) => string, limit = 5): string[] {
  const out: string[] = [];
  if (got.length !== want.length) return [`length ${got.length} ≠ ${want.length}`];
  for (let k = 0; k < got.length && out.length < limit; k++) {
    if (!Object.is(got[k], want[k])) out.push(`${label(k)}: GPU ${got[k]} ≠ CPU ${want[k]}`);
  }
  return out;
}

describe('Philox4x32-10 in WGSL', () => {
  let gpu: GpuContext;
  let pipelines: PipelineCache;

  beforeAll(async () => {
    const acquired = await acquireGpu();
    if (!acquired) throw new Error('no WebGPU adapter: the GPU suites need SwiftShader (npm package @sparticuz/chromium) or a GPU');
    gpu = acquired;
    pipelines = new PipelineCache(gpu.device);
  });
  afterAll(() => gpu?.dispose());

  /** Runs one entry point of philox_test.wgsl over `threads` invocations and reads `outWords` u32 back. */
  async function dispatch(entry: 'main' | 'convert' | 'minibatch', config: Config, threads: number, outWords: number, input?: Uint32Array<ArrayBuffer>): Promise<Uint32Array> {
    const device = gpu.device;
    const created: GPUBuffer[] = [];
    try {
      return await withErrorScopes(device, `philox_test.${entry}`, async () => {
        const pipeline = await pipelines.get(program(entry));
        const key = config.key ?? [0, 0];
        const words = new Uint32Array([
          config.counter0 ?? 0, config.run ?? 0, config.stream ?? 0, config.c3 ?? 0, key[0], key[1],
          config.n ?? 1, config.count, config.step0 ?? 0, config.batch ?? 1, config.samples ?? 1, 0,
        ]);
        const make = (size: number, usage: number) => {
          const buffer = device.createBuffer({ size: Math.max(16, size), usage });
          created.push(buffer);
          return buffer;
        };
        const uniform = make(words.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
        device.queue.writeBuffer(uniform, 0, words);
        const output = make(4 * outWords, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
        const readback = make(4 * outWords, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
        const entries: GPUBindGroupEntry[] = [
          { binding: 0, resource: { buffer: uniform } },
          { binding: 1, resource: { buffer: output } },
        ];
        if (input) {
          const inputBuffer = make(input.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
          device.queue.writeBuffer(inputBuffer, 0, input);
          entries.push({ binding: 2, resource: { buffer: inputBuffer } });
        }
        const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
        const encoder = device.createCommandEncoder({ label: `philox_test.${entry}` });
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(Math.ceil(threads / 64));
        pass.end();
        encoder.copyBufferToBuffer(output, 0, readback, 0, 4 * outWords);
        device.queue.submit([encoder.finish()]);
        await readback.mapAsync(GPUMapMode.READ);
        const result = new Uint32Array(readback.getMappedRange(0, 4 * outWords).slice(0));
        readback.unmap();
        return result;
      });
    } finally {
      created.forEach((buffer) => buffer.destroy());
    }
  }

  const f32Bits = (value: number) => new Uint32Array(new Float32Array([value]).buffer)[0];

  it('matches the Random123 known-answer vectors', async () => {
    const kat = await dispatch(
      'main',
      { counter0: 0x243f6a88, run: 0x85a308d3, stream: 0x13198a2e, c3: 0x03707344, key: [0xa4093822, 0x299f31d0], count: 1 },
      1,
      12,
    );
    expect([...kat.slice(0, 4)]).toEqual([0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
    const ones = await dispatch('main', { counter0: ONES, run: ONES, stream: ONES, c3: ONES, key: [ONES, ONES], count: 1 }, 1, 12);
    expect([...ones.slice(0, 4)]).toEqual([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
    const zeros = await dispatch('main', { count: 1 }, 1, 12);
    expect([...zeros.slice(0, 4)]).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
  });

  // a few thousand counters under several keys, counters wrapping past 2³² − 1 included
  const cases: { label: string; config: Omit<Config, 'count' | 'n'> }[] = [
    { label: 'zero key', config: { key: [0, 0], run: 0, stream: STREAMS.minibatch } },
    { label: 'all-ones key, wrapping counter', config: { key: [ONES, ONES], counter0: ONES - 300, run: ONES, stream: ONES, c3: ONES } },
    { label: 'Random123 key', config: { key: [0xa4093822, 0x299f31d0], counter0: 0x243f6a88, run: 0x85a308d3, stream: 0x13198a2e, c3: 0x03707344 } },
    { label: 'seed above 2³²', config: { key: seedKey(2 ** 40 + 12345), run: 7, stream: STREAMS.init } },
    { label: 'mixed edges', config: { key: [ONES, 0], counter0: 0x80000000, run: 1, stream: STREAMS.verify } },
  ];
  const COUNT = 1024;

  it.each(cases.map((c, k) => ({ ...c, n: N_VALUES[k % N_VALUES.length] })))(
    'gives the same words, uniforms and indices: $label',
    async ({ config, n }) => {
      const got = await dispatch('main', { ...config, count: COUNT, n }, COUNT, 12 * COUNT);
      const words: number[] = [], uniforms: number[] = [], indices: number[] = [];
      const gotWords: number[] = [], gotUniforms: number[] = [], gotIndices: number[] = [];
      const [k0, k1] = config.key ?? [0, 0];
      for (let i = 0; i < COUNT; i++) {
        const w = philox4x32(((config.counter0 ?? 0) + i) >>> 0, config.run ?? 0, config.stream ?? 0, config.c3 ?? 0, k0, k1);
        for (let j = 0; j < 4; j++) {
          words.push(w[j]);
          uniforms.push(f32Bits(toUniform(w[j])));
          indices.push(randomIndex(w[j], n));
          gotWords.push(got[12 * i + j]);
          gotUniforms.push(got[12 * i + 4 + j]);
          gotIndices.push(got[12 * i + 8 + j]);
        }
      }
      const at = (k: number) => `counter +${k >> 2} word ${k & 3}`;
      expect(mismatches(gotWords, words, at)).toEqual([]);
      expect(mismatches(gotUniforms, uniforms, at)).toEqual([]);
      expect(mismatches(gotIndices, indices, at)).toEqual([]);
    },
  );

  it('maps words to uniforms and indices exactly, edges included', async () => {
    // toUniform is exact in float32, so comparing its float32 bits loses nothing
    expect(new Float32Array([toUniform(0xffffffff)])[0]).toBe(toUniform(0xffffffff));
    const edges = [0, 1, 0xff, 0x100, 0x1ff, 0x7fffffff, 0x80000000, 0x800000ff, 0xfffffe00, 0xfffffeff, 0xffffff00, ONES];
    const sweep = Array.from({ length: 500 }, (_, k) => Math.imul(k, 0x9e3779b9) >>> 0);
    const input = new Uint32Array([...edges, ...sweep]);
    for (const n of N_VALUES) {
      const got = await dispatch('convert', { count: input.length, n }, input.length, 2 * input.length, input);
      const at = (k: number) => `u = 0x${input[k].toString(16)}, n = ${n}`;
      expect(mismatches(got.filter((_, k) => k % 2 === 0), [...input].map((u) => f32Bits(toUniform(u))), at)).toEqual([]);
      const indices = got.filter((_, k) => k % 2 === 1);
      expect(mismatches(indices, [...input].map((u) => randomIndex(u, n)), at)).toEqual([]);
      expect(Math.max(...indices)).toBeLessThan(n);
    }
  });

  it('draws the minibatches minibatchIndex draws', async () => {
    const runs = [
      { seed: 42, run: 3, step0: 0, batch: 10, samples: 1000 },
      // t·batch passes 2³² here: the WGSL side forms t·batch + b in 64 bits
      { seed: 2 ** 40 + 12345, run: ONES, step0: 500_000_000, batch: 10, samples: 4096 },
      { seed: 7, run: 0, step0: 123, batch: 32, samples: 10000 },
    ];
    const steps = 40;
    for (const { seed, run, step0, batch, samples } of runs) {
      const got = await dispatch('minibatch', { key: seedKey(seed), run, step0, batch, samples, count: steps }, steps * batch, steps * batch);
      const want = Array.from({ length: steps * batch }, (_, i) => minibatchIndex(seed, run, step0 + Math.floor(i / batch), batch, i % batch, samples));
      expect(mismatches(got, want, (i) => `seed ${seed} step ${step0 + Math.floor(i / batch)} sample ${i % batch}`)).toEqual([]);
    }
  });

  it('minibatchIndex follows the order RandomStream draws the minibatch stream', () => {
    const seed = 2 ** 33 + 5, run = 2, batch = 7, samples = 1000;
    const stream = new RandomStream(seed, run, STREAMS.minibatch);
    for (let step = 0; step < 20; step++) {
      for (let b = 0; b < batch; b++) {
        // randomIndex depends on u only through toUniform(u)
        const expected = Math.min(Math.floor(Math.fround(stream.uniform() * samples)), samples - 1);
        expect(minibatchIndex(seed, run, step, batch, b, samples)).toBe(expected);
      }
    }
    expect(() => minibatchIndex(seed, run, 2 ** 32, 4, 0, samples)).toThrow(RangeError);
    expect(() => minibatchIndex(seed, run, 0, 4, 4, samples)).toThrow(RangeError);
  });
});
