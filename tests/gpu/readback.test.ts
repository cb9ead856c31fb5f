// Readback through reused staging buffers (src/gpu/readback.ts), on SwiftShader.
import { afterAll, describe, expect, it } from 'vitest';
import { Readback } from '../../src/gpu/readback.js';
import { gpuEngineForSuite } from '../helpers/gpu.js';

describe('Readback', async () => {
  const engine = await gpuEngineForSuite();
  const device = engine.gpu.device;
  const source = device.createBuffer({ size: 4096, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const words = Uint32Array.from({ length: 1024 }, (_, k) => k * 7 + 1);
  device.queue.writeBuffer(source, 0, words);
  afterAll(() => {
    source.destroy();
    engine.dispose();
  });

  it('reads any range exactly, reusing its staging buffers', async () => {
    const readback = new Readback(device, 2);
    const first = new Uint32Array(await readback.read(source, 16, 64));
    expect(Array.from(first)).toEqual(Array.from(words.subarray(4, 20)));
    expect(readback.held).toBe(1);
    // a smaller read takes the same buffer; a larger one needs another
    expect(Array.from(new Uint32Array(await readback.read(source, 0, 8)))).toEqual([1, 8]);
    expect(readback.held).toBe(1);
    const all = new Uint32Array(await readback.read(source, 0, 4096));
    expect(Array.from(all)).toEqual(Array.from(words));
    expect(readback.held).toBe(2);
    // reads in flight at once each take a buffer; no more than `keep` are held afterwards
    const together = await Promise.all([0, 1, 2, 3].map((k) => readback.read(source, 4 * k, 4)));
    expect(together.map((bytes) => new Uint32Array(bytes)[0])).toEqual([1, 8, 15, 22]);
    expect(readback.held).toBe(2);
    // data written after a read is what the next read sees (the staging buffer holds no stale copy)
    device.queue.writeBuffer(source, 16, Uint32Array.from([99]));
    expect(new Uint32Array(await readback.read(source, 16, 4))[0]).toBe(99);
    readback.dispose();
    expect(readback.held).toBe(0);
  });

  it('reads more than a MiB through a buffer of its own size, not held afterwards', async () => {
    const big = device.createBuffer({ size: (1 << 20) + 256, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    const tail = Uint32Array.from([5, 6, 7]);
    device.queue.writeBuffer(big, (1 << 20) + 244, tail);
    const readback = new Readback(device);
    const bytes = await readback.read(big, 0, (1 << 20) + 256);
    expect(bytes.byteLength).toBe((1 << 20) + 256);
    expect(Array.from(new Uint32Array(bytes, (1 << 20) + 244, 3))).toEqual([5, 6, 7]);
    expect(readback.held).toBe(0);
    big.destroy();
  });
});
