// Finished runs travel from the sweep worker to the page in batches, at most one every `intervalMs`,
// so that thousands of runs do not flood it. Batches are delivered one after another, in order, and
// a forced flush settles only once every batch cut so far has been delivered: start() and pause
// promise the page every finished run, and a batch still on its way when the last one is cut would
// otherwise arrive after start() resolved (the two travel on different ports).

export class RecordBatches<T, S> {
  private pending: T[] = [];
  private lastCut: number;
  private delivered: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;
  /** batches cut and not yet delivered */
  private inFlight = 0;

  /**
   * `deliver`: sends one batch, with `snapshot()` as it was when the batch was cut (the progress
   * counts that include exactly the batch's runs), and settles once the page has it.
   */
  constructor(
    private readonly deliver: (batch: T[], snapshot: S) => Promise<void>,
    private readonly snapshot: () => S,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastCut = now();
  }

  /** Whether every item added has been delivered: a snapshot taken now counts no item the page lacks. */
  get idle(): boolean {
    // (after a failed delivery the batches behind it are dropped: the page lacks them)
    return this.pending.length === 0 && this.inFlight === 0 && this.failure === null;
  }

  add(item: T): void {
    this.pending.push(item);
  }

  /** Cuts a batch of what is pending if `intervalMs` has passed since the last cut; does not wait for it. */
  sendIfDue(): void {
    if (this.pending.length > 0 && this.now() - this.lastCut >= this.intervalMs) this.cut();
  }

  /**
   * Cuts what is pending and settles once every batch so far is delivered; rejects with the first
   * delivery's failure (the batches after a failed one are not sent: the page would miss a run).
   */
  async flush(): Promise<void> {
    if (this.pending.length > 0) this.cut();
    await this.delivered;
    if (this.failure) throw this.failure.error;
  }

  private cut(): void {
    const batch = this.pending;
    const snapshot = this.snapshot();
    this.pending = [];
    this.lastCut = this.now();
    this.inFlight++;
    // a failure is kept for flush() rather than left as an unhandled rejection of a batch no one awaits
    this.delivered = this.delivered.then(async () => {
      try {
        if (!this.failure) await this.deliver(batch, snapshot);
      } catch (error) {
        this.failure = { error };
      } finally {
        this.inFlight--;
      }
    });
  }
}
