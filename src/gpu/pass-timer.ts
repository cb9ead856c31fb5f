// GPU time of compute passes by timestamp queries (the optional 'timestamp-query' feature): the
// benchmark's measure of kernel time without the host's submit, wait and readback overheads. Each
// timed pass writes a begin and an end timestamp; read() resolves them after the submit and adds
// up end − begin. Without the feature every method is a no-op and read() gives null, so callers
// fall back to wall time.
//
// Timestamps are quantised and may be coarsened by the implementation (Chromium rounds them to
// 100 µs unless its unsafe WebGPU flags are on): time passes that run for milliseconds or more.

/** Timed passes per query set: one submit may time this many passes before read(). */
const MAX_PASSES = 64;

export class PassTimer {
  private readonly querySet: GPUQuerySet | null;
  private readonly resolveBuffer: GPUBuffer | null;
  private readonly readBuffer: GPUBuffer | null;
  private used = 0;
  /** seconds of GPU time summed over every read() */
  totalSeconds = 0;

  constructor(device: GPUDevice) {
    if (!device.features.has('timestamp-query')) {
      this.querySet = this.resolveBuffer = this.readBuffer = null;
      return;
    }
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 * MAX_PASSES });
    this.resolveBuffer = device.createBuffer({ size: 16 * MAX_PASSES, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.readBuffer = device.createBuffer({ size: 16 * MAX_PASSES, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  get available(): boolean {
    return this.querySet !== null;
  }

  /** The pass descriptor's timestampWrites for the next timed pass (undefined when unavailable or full). */
  nextPass(): GPUComputePassTimestampWrites | undefined {
    if (!this.querySet || this.used >= MAX_PASSES) return undefined;
    const index = this.used++;
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * index, endOfPassWriteIndex: 2 * index + 1 };
  }

  /** Encodes the resolve of this round's timestamps; call once after the timed passes, before finish(). */
  resolve(encoder: GPUCommandEncoder): void {
    if (!this.querySet || this.used === 0) return;
    encoder.resolveQuerySet(this.querySet, 0, 2 * this.used, this.resolveBuffer!, 0);
    encoder.copyBufferToBuffer(this.resolveBuffer!, 0, this.readBuffer!, 0, 16 * this.used);
  }

  /** After the submit: this round's GPU seconds (null without timestamps); adds them to totalSeconds. */
  async read(): Promise<number | null> {
    if (!this.readBuffer) return null;
    const passes = this.used;
    this.used = 0;
    if (passes === 0) return 0;
    await this.readBuffer.mapAsync(GPUMapMode.READ, 0, 16 * passes);
    try {
      const stamps = new BigUint64Array(this.readBuffer.getMappedRange(0, 16 * passes));
      let nanoseconds = 0n;
      for (let k = 0; k < passes; k++) {
        // a pair the implementation could not order (reset counters) counts as nothing
        if (stamps[2 * k + 1] > stamps[2 * k]) nanoseconds += stamps[2 * k + 1] - stamps[2 * k];
      }
      const seconds = Number(nanoseconds) / 1e9;
      this.totalSeconds += seconds;
      return seconds;
    } finally {
      this.readBuffer.unmap();
    }
  }

  destroy(): void {
    this.querySet?.destroy();
    this.resolveBuffer?.destroy();
    this.readBuffer?.destroy();
  }
}
