// Finished runs kept in the browser (IndexedDB), so that a sweep whose page was reloaded, closed or
// crashed continues where it stopped, as `channelscope run --resume` continues from runs.jsonl. A run
// is kept under its run id (configuration hash and seed: the same run in any spec that holds it)
// within a context: the engine that trained it and the data files the spec read, since a record from
// another device or other files is not the run this sweep would train.

import type { RunRecord } from '../../../src/experiment/results.js';
import { hashString } from '../../../src/experiment/spec.js';

const DATABASE = 'channelscope';
const RUNS = 'kept-runs';
/** the index of kept runs by context */
const BY_CONTEXT = 'by-context';

interface KeptRun {
  context: string;
  id: string;
  record: RunRecord;
}

/** IndexedDB's callbacks as a promise. */
function settled<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

function committed(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB transaction failed'));
    transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/** The context runs are kept in: the engine that trains them and the data files the spec reads. */
export function keptRunContext(engineDescription: string, files: Record<string, string>): string {
  const named = Object.keys(files)
    .sort()
    .map((name) => `${name}:${files[name].length}:${hashString(files[name])}`);
  return `${engineDescription}\n${named.join('\n')}`;
}

export class KeptRuns {
  private constructor(private readonly db: IDBDatabase) {}

  /** Opens the browser's store of kept runs; rejects with the reason where the browser has none. */
  static async open(): Promise<KeptRuns> {
    if (typeof indexedDB === 'undefined') throw new Error('this browser offers no IndexedDB');
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore(RUNS, { keyPath: ['context', 'id'] });
      store.createIndex(BY_CONTEXT, 'context');
    };
    return new KeptRuns(await settled(request));
  }

  /** The runs kept in `context` among `ids`, by id. */
  async find(context: string, ids: ReadonlySet<string>): Promise<RunRecord[]> {
    const transaction = this.db.transaction(RUNS, 'readonly');
    const kept = (await settled(transaction.objectStore(RUNS).index(BY_CONTEXT).getAll(IDBKeyRange.only(context)))) as KeptRun[];
    return kept.filter((run) => ids.has(run.id)).map((run) => run.record);
  }

  /** Keeps `records` in `context`, all or none (one transaction). */
  async keep(context: string, records: readonly RunRecord[]): Promise<void> {
    if (records.length === 0) return;
    const transaction = this.db.transaction(RUNS, 'readwrite');
    const store = transaction.objectStore(RUNS);
    for (const record of records) store.put({ context, id: record.id, record } satisfies KeptRun);
    await committed(transaction);
  }

  /** How many runs are kept, in every context. */
  async count(): Promise<number> {
    return settled(this.db.transaction(RUNS, 'readonly').objectStore(RUNS).count());
  }

  /** Forgets every kept run; returns how many there were. */
  async forget(): Promise<number> {
    const transaction = this.db.transaction(RUNS, 'readwrite');
    const store = transaction.objectStore(RUNS);
    const count = await settled(store.count());
    store.clear();
    await committed(transaction);
    return count;
  }

  close(): void {
    this.db.close();
  }
}
