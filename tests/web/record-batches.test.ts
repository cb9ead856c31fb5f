// The sweep worker's batches of finished runs for the page (web/src/worker/record-batches.ts).
import { describe, expect, it } from 'vitest';
import { RecordBatches } from '../../web/src/worker/record-batches.js';

/** A delivery that waits until the test lets it through, recording what arrived in which order. */
function gatedPage() {
  const arrived: { batch: number[]; snapshot: number }[] = [];
  const gates: (() => void)[] = [];
  const deliver = (batch: number[], snapshot: number) =>
    new Promise<void>((resolve) => {
      gates.push(() => {
        arrived.push({ batch, snapshot });
        resolve();
      });
    });
  return { arrived, gates, deliver };
}

const settled = async <T>(promise: Promise<T>): Promise<boolean> => {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let k = 0; k < 10; k++) await Promise.resolve();
  return done;
};

describe('RecordBatches', () => {
  it('is idle only once every item added has been delivered (a batch on its way is not yet)', async () => {
    let clock = 0;
    const page = gatedPage();
    const batches = new RecordBatches(page.deliver, () => 0, 150, () => clock);
    expect(batches.idle).toBe(true);
    batches.add(1);
    expect(batches.idle).toBe(false);
    clock = 200;
    batches.sendIfDue();
    for (let k = 0; k < 10 && page.gates.length === 0; k++) await Promise.resolve();
    expect(page.gates).toHaveLength(1);
    expect(batches.idle).toBe(false);
    page.gates[0]();
    await batches.flush();
    expect(batches.idle).toBe(true);
  });

  it('flush settles only once a batch already on its way has arrived, then sends the rest after it', async () => {
    let clock = 0;
    let count = 0;
    const page = gatedPage();
    const batches = new RecordBatches(page.deliver, () => count, 150, () => clock);
    for (const run of [1, 2]) {
      batches.add(run);
      count++;
    }
    batches.sendIfDue();
    expect(page.gates).toHaveLength(0); // not due yet: 0 ms since the last cut
    clock = 200;
    batches.sendIfDue();
    await settled(Promise.resolve());
    expect(page.gates).toHaveLength(1); // [1, 2] on its way
    batches.add(3);
    count++;
    // the last run's batch is cut while [1, 2] is still on its way: flush must wait for both
    const flushed = batches.flush();
    expect(await settled(flushed)).toBe(false);
    page.gates[0]();
    expect(await settled(flushed)).toBe(false);
    expect(page.gates).toHaveLength(2);
    page.gates[1]();
    expect(await settled(flushed)).toBe(true);
    // in order, each with the progress counted when it was cut
    expect(page.arrived).toEqual([
      { batch: [1, 2], snapshot: 2 },
      { batch: [3], snapshot: 3 },
    ]);
  });

  it('flush with nothing pending still waits for the batch on its way', async () => {
    let clock = 0;
    const page = gatedPage();
    const batches = new RecordBatches(page.deliver, () => 0, 150, () => clock);
    batches.add(1);
    clock = 150;
    batches.sendIfDue();
    const flushed = batches.flush();
    expect(await settled(flushed)).toBe(false);
    page.gates[0]();
    expect(await settled(flushed)).toBe(true);
    expect(page.arrived.map((a) => a.batch)).toEqual([[1]]);
  });

  it("rejects flush with a delivery's failure, sends nothing after it and leaves no unhandled rejection", async () => {
    let clock = 0;
    const sent: number[][] = [];
    const batches = new RecordBatches(
      async (batch: number[]) => {
        sent.push(batch);
        if (batch.includes(1)) throw new Error('the page is gone');
      },
      () => 0,
      150,
      () => clock,
    );
    batches.add(1);
    clock = 150;
    batches.sendIfDue();
    batches.add(2);
    clock = 300;
    batches.sendIfDue();
    await expect(batches.flush()).rejects.toThrow('the page is gone');
    expect(sent).toEqual([[1]]);
  });
});
