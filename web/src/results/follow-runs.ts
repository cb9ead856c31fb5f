// Following a sweep that is still being written: the folders `channelscope serve` offers are read
// again every few seconds, and the runs appended to their runs.jsonl since the last read come in as
// they finish. Each read asks only for the bytes from the last complete line's newline on (an HTTP
// Range request, from one byte before the end of what was read so that it is never empty, which a
// browser would log as a failed load; a server that ignores Range sends the whole file and the part
// already read is skipped), so a sweep of thousands of runs costs a small request a poll. A line still
// being written (no newline yet) waits for the next poll. The folder's checkpoint.json says whether
// its session finished, and the server's listing whether a session is writing it now (its
// channelscope.lock, judged by the server as a second session would: results.ts, folder-lock.ts).
// The listing also shows the sweep's folders that appear later (the shards of a job array that start
// as the queue lets them), which the loader then has followed too; a folder whose session finished and
// left is read no more once a read found nothing new in it.
import type { RunRecord } from '../../../src/experiment/results.js';
import { parseRunsJsonl } from './parse-jsonl.js';

/** One folder of the sweep being followed. */
export interface FollowedFolder {
  /** its runs.jsonl as the user sees it named ("0-cf/runs.jsonl") */
  name: string;
  runsUrl: string;
  checkpointUrl: string;
  /** its lock file's path in the server's listing of the served folder ("shard-1/channelscope.lock") */
  lockFile: string;
  /** bytes of runs.jsonl already read: the end of its last complete line */
  offset: number;
  /**
   * set by the follower once its session finished, left (no live lock when the poll began), and a read
   * since found nothing new: nothing more can come, so it is not read again (a job array of hundreds
   * of shards costs a poll only its running ones)
   */
  settled?: boolean;
}

/** Where the server lists the served folder (`channelscope serve`'s /api/results) and its name there. */
export interface FollowedListing {
  url: string;
  name: string;
}

/** Where a followed sweep stands after a poll. */
export interface FollowState {
  /** a session is writing some folder now (its lock is live) */
  writing: boolean;
  /** every folder's checkpoint says its session finished */
  finished: boolean;
  /** the followed folders hold every shard of the sweep (false while a job array's other shards have not started) */
  complete: boolean;
  /** runs read so far, those loaded first included */
  runs: number;
  /** when the last new run came in (ms since the epoch); null before any came while following */
  lastNewRunAt: number | null;
  /** following stopped: the sweep finished, stop() was called, or a folder was rewritten or damaged (error says why) */
  stopped: boolean;
  error?: string;
  /** the last read failed for a reason that may pass (the server unreachable, a server error): it is tried again */
  unreachable?: string;
}

export interface FollowCallbacks {
  /** runs new since the last poll (never one already seen), with what is worth telling */
  appended(records: RunRecord[], notes: string[]): void;
  state(state: FollowState): void;
  /**
   * Of the files the server lists now, the folders of the sweep not followed yet (a shard of a job
   * array that started since), to follow from their first byte; none where it has no way to tell.
   */
  discover?(listedFiles: string[]): Promise<FollowedFolder[]>;
  /** whether the followed folders hold every shard of their sweep (more may come while not); true where it has no way to tell */
  complete?(): boolean;
}

/** Polls while a session writes the sweep (or it just finished); slower while none does (stopped, maybe resumed later) or the server is unreachable. */
export const FOLLOW_INTERVAL_MS = { writing: 2000, idle: 10_000 };

/** The bytes of complete lines at the start of a file's bytes: the offset a follower starts from after loading it. */
export function completeLinesEnd(bytes: Uint8Array): number {
  return bytes.lastIndexOf(0x0a) + 1;
}

/** The URL of a file listed in a served folder ("shard 1/runs.jsonl"), its path segments encoded. */
export function fileUrl(file: string, folderUrl: string): string {
  return new URL(file.split('/').map(encodeURIComponent).join('/'), folderUrl).href;
}

/** What a checkpoint.json says of its session: whether it finished; null for anything that is not a checkpoint. */
export function checkpointProgress(value: unknown): { finished: boolean } | null {
  const { finished } = (value ?? {}) as { finished?: unknown };
  return typeof finished === 'boolean' ? { finished } : null;
}

/** A folder that changed under the follower in a way reading again cannot mend: following ends. */
class FolderChanged extends Error {}

export class RunsFollower {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly seen: Set<string>;
  private state: FollowState;
  private readonly decoder = new TextDecoder();

  private readonly folders: FollowedFolder[];

  constructor(
    private readonly listing: FollowedListing,
    folders: readonly FollowedFolder[],
    seenIds: Iterable<string>,
    private readonly callbacks: FollowCallbacks,
    private readonly fetcher: typeof fetch = (input, init) => fetch(input, init),
    private readonly intervals = FOLLOW_INTERVAL_MS,
  ) {
    this.folders = [...folders];
    this.seen = new Set(seenIds);
    this.state = { writing: true, finished: false, complete: true, runs: this.seen.size, lastNewRunAt: null, stopped: false };
  }

  /** Polls at once, then again until the sweep finishes or stop() is called. */
  start(): void {
    void this.poll();
  }

  /** Stops polling, and says so (`report`), unless what it followed is no longer shown (then nothing more is said of it). */
  stop(report = true): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.state.stopped) return;
    if (report) this.report({ ...this.state, stopped: true });
    else this.state = { ...this.state, stopped: true };
  }

  get stopped(): boolean {
    return this.state.stopped;
  }

  /** One read of every folder; schedules the next unless following ended. */
  async poll(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.state.stopped) return;
    const appended: RunRecord[] = [];
    const notes: string[] = [];
    let writing = false;
    let finished = true;
    let grew = false;
    let failure: Error | null = null;
    try {
      const listing = await this.listedFolder();
      const liveLocks = new Set(listing.liveLocks);
      this.folders.push(...((await this.callbacks.discover?.(listing.files)) ?? []));
      for (const folder of this.folders) {
        if (folder.settled) continue;
        const tail = await this.readTail(folder);
        grew ||= tail.records.length > 0;
        notes.push(...tail.notes);
        for (const record of tail.records) {
          if (this.seen.has(record.id)) continue;
          this.seen.add(record.id);
          appended.push(record);
        }
        const checkpoint = await this.readCheckpoint(folder);
        // (a folder without a checkpoint has no session to wait for)
        finished &&= checkpoint === 'absent' || checkpoint?.finished === true;
        const live = liveLocks.has(folder.lockFile);
        writing ||= live;
        // (its session released the lock before the listing was read, so after its last write)
        folder.settled = checkpoint !== null && checkpoint !== 'absent' && checkpoint.finished && !live && tail.records.length === 0;
      }
    } catch (error) {
      failure = error as Error;
    }
    if (this.state.stopped) return;
    // runs read before a failure are passed on: the offsets have moved past them
    if (appended.length > 0) this.callbacks.appended(appended, notes);
    const lastNewRunAt = appended.length > 0 ? Date.now() : this.state.lastNewRunAt;
    const runs = this.seen.size;
    if (failure instanceof FolderChanged) {
      this.report({ ...this.state, runs, lastNewRunAt, stopped: true, error: failure.message });
      return;
    }
    if (failure) {
      // the server unreachable, or a server error: said, and tried again
      this.report({ ...this.state, runs, lastNewRunAt, unreachable: failure.message });
      this.timer = setTimeout(() => void this.poll(), this.intervals.idle);
      return;
    }
    // done once every session finished, none writes, the last read found nothing more, and no shard is still to come
    const complete = this.callbacks.complete?.() ?? true;
    const done = finished && !writing && !grew && complete;
    this.report({ writing, finished, complete, runs, lastNewRunAt, stopped: done });
    // (a session that just finished: its last runs are read soon; shards still to come: looked for now and then)
    if (!done) this.timer = setTimeout(() => void this.poll(), writing || (finished && complete) ? this.intervals.writing : this.intervals.idle);
  }

  private report(state: FollowState): void {
    this.state = state;
    this.callbacks.state(state);
  }

  /** The complete lines appended to a folder's runs.jsonl since its offset, parsed. */
  private async readTail(folder: FollowedFolder): Promise<{ records: RunRecord[]; notes: string[] }> {
    // from the newline that ends what was read: never an empty range while the file is as long
    const lead = folder.offset > 0 ? 1 : 0;
    const from = folder.offset - lead;
    // (nothing read yet: the whole file, which may still be empty; a range of an empty file would be refused)
    const response = await this.fetcher(folder.runsUrl, { cache: 'no-store', ...(lead ? { headers: { range: `bytes=${from}-` } } : {}) });
    const rewritten = (size: number | null) =>
      new FolderChanged(`${folder.name} is shorter than when it was opened (${size === null ? '' : `${size} bytes, `}not ${folder.offset}): it was rewritten, so open the folder again`);
    if (response.status === 416) {
      const size = Number(/\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1] ?? NaN);
      throw rewritten(Number.isFinite(size) ? size : null);
    }
    if (!response.ok) throw new Error(`${folder.name}: the server answered ${response.status} ${response.statusText}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    // a server that ignores Range sends the whole file
    const start = response.status === 206 ? 0 : from;
    if (bytes.length < start + lead) throw rewritten(bytes.length);
    if (lead && bytes[start] !== 0x0a) throw new FolderChanged(`${folder.name} changed before byte ${folder.offset} since it was read: it was rewritten, so open the folder again`);
    const appended = bytes.subarray(start + lead);
    const end = completeLinesEnd(appended);
    if (end === 0) return { records: [], notes: [] };
    const text = this.decoder.decode(appended.subarray(0, end));
    const firstByte = folder.offset;
    folder.offset += end;
    if (text.trim() === '') return { records: [], notes: [] };
    try {
      return parseRunsJsonl(text, folder.name);
    } catch (error) {
      // (its line numbers count from where this read began)
      throw new FolderChanged(`${(error as Error).message} — in the part appended after byte ${firstByte}`);
    }
  }

  /** The served folder's files now, and the locks of sessions writing it, as the server lists them. */
  private async listedFolder(): Promise<{ files: string[]; liveLocks: string[] }> {
    const response = await this.fetcher(this.listing.url, { cache: 'no-store', headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`the server's list of results folders answered ${response.status} ${response.statusText}`);
    const entries = (await response.json()) as { name?: unknown; files?: unknown; liveLocks?: unknown }[];
    const entry = Array.isArray(entries) ? entries.find((candidate) => candidate?.name === this.listing.name) : undefined;
    const strings = (list: unknown) => (Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : []);
    return { files: strings(entry?.files), liveLocks: strings(entry?.liveLocks) };
  }

  /** Its checkpoint's progress; 'absent' where the folder has none; null where it could not be read this time. */
  private async readCheckpoint(folder: FollowedFolder): Promise<{ finished: boolean } | 'absent' | null> {
    const response = await this.fetcher(folder.checkpointUrl, { cache: 'no-store' });
    if (response.status === 404) return 'absent';
    if (!response.ok) return null;
    try {
      return checkpointProgress(await response.json());
    } catch {
      // cut on its way (it is replaced atomically, but a proxy might cut it): the next poll reads it
      return null;
    }
  }
}
