// Reading GPU buffers back to the host through reusable MAP_READ staging buffers. The scheduler
// reads a few words per run at every check (design.md); a staging buffer made and destroyed for
// each read would cost an allocation and a free on the device every time.
/** Staging buffers start at this size and grow by powers of two, so that repeated reads share them… */
const MIN_STAGING_BYTES = 256;
/**
 * …up to this size. Larger reads (all of an ensemble's parameters, say) get a buffer of their exact
 * size, destroyed after the read: rounding them up could double their memory, or pass the device's
 * largest buffer, and holding them would keep that memory for the ensemble's lifetime.
 */
const MAX_POOLED_BYTES = 1 << 20;

export class Readback {
  /** unmapped staging buffers, ready for the next read */
  private readonly free: GPUBuffer[] = [];
  private disposed = false;

  /** `keep`: staging buffers held between reads (reads in flight at once take one each) */
  constructor(
    private readonly device: GPUDevice,
    private readonly keep = 4,
  ) {}

  /** `size` bytes of `source` from `offset` (both multiples of 4), copied after the work already submitted. */
  async read(source: GPUBuffer, offset: number, size: number): Promise<ArrayBuffer> {
    const staging = this.take(size);
    let reusable = false;
    try {
      const encoder = this.device.createCommandEncoder({ label: 'readback' });
      encoder.copyBufferToBuffer(source, offset, staging, 0, size);
      this.device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ, 0, size);
      const bytes = staging.getMappedRange(0, size).slice(0);
      staging.unmap();
      reusable = true;
      return bytes;
    } finally {
      // a read that failed (a lost device, a validation error) leaves its buffer in an unknown state
      if (reusable && !this.disposed && staging.size <= MAX_POOLED_BYTES && this.free.length < this.keep) this.free.push(staging);
      else staging.destroy();
    }
  }

  /** Number of staging buffers held for reuse (tests). */
  get held(): number {
    return this.free.length;
  }

  /** Destroys the held buffers; reads in flight destroy theirs when they end. */
  dispose(): void {
    this.disposed = true;
    for (const buffer of this.free.splice(0)) buffer.destroy();
  }

  /** The smallest held buffer that fits, else a new one of the next power-of-two size (or of `size`, above MAX_POOLED_BYTES). */
  private take(size: number): GPUBuffer {
    let best = -1;
    for (let k = 0; k < this.free.length; k++) {
      if (this.free[k].size >= size && (best < 0 || this.free[k].size < this.free[best].size)) best = k;
    }
    if (best >= 0) return this.free.splice(best, 1)[0];
    let bytes = MIN_STAGING_BYTES;
    while (bytes < size) bytes *= 2;
    if (bytes > MAX_POOLED_BYTES) bytes = size;
    return this.device.createBuffer({ label: 'readback staging', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }
}
