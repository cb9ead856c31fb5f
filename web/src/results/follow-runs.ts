// Following a sweep that is still being written: the folders `channelscope serve` offers are read
// again every few seconds, and the runs appended to their runs.jsonl since the last read come in as
// they finish. Each read asks only for the bytes from the last complete line's newline on (an HTTP
// Range request, from one byte before the end of what was read so that it is never empty, which a
// browser would log as a failed load; a server that ignores Range sends the whole file and the part
// already read is skipped), so a sweep of thousands of runs costs a small request a poll. A line still
// being written (no newline yet) waits for the next poll. The folder's checkpoint.json says whether
// its session finished, and a channelscope.lock in the server's listing, refreshed lately, whether a
// session is writing it now (results.ts, folder-lock.ts).
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
}

/** Where the server lists the served folder's files (`channelscope serve`'s /api/results), its name there, and its URL. */
export interface FollowedListing {
  url: string;
  name: string;
  /** the served folder's URL, ending in '/': its listed files are relative to it */
  folderUrl: string;
}

/** Where a followed sweep stands after a poll. */
export interface FollowState {
  /** a session holds a lock on some folder: it is writing runs now */
  writing: boolean;
  /** every folder's checkpoint says its session finished */
  finished: boolean;
  /** runs read so far, those loaded first included */
  runs: number;
  /** when the last new run came in (ms since the epoch); the start of following before any did */
  lastNewRunAt: number;
  /** the latest checkpoint time among the folders ('' when none has one) */
  checkpointAt: string;
  /** following stopped: the sweep finished, stop() was called, or a folder could not be read (error says why) */
  stopped: boolean;
  error?: string;
}

export interface FollowCallbacks {
  /** runs new since the last poll (never one already seen), with what is worth telling */
  appended(records: RunRecord[], notes: string[]): void;
  state(state: FollowState): void;
}

/** The lock a session writing a results folder holds (folder-lock.ts LOCK_FILE, which needs node:fs). */
export const SESSION_LOCK_FILE = 'channelscope.lock';
/**
 * A lock not refreshed for this long is a dead session's (folder-lock.ts LOCK_STALE_MS: a live one
 * refreshes it every 30 s), one that a kill -9 left behind.
 */
export const SESSION_LOCK_STALE_MS = 10 * 60_000;

/** Polls while a session writes the sweep; slower while none does (a sweep stopped and maybe resumed later). */
export const FOLLOW_INTERVAL_MS = { writing: 2000, idle: 10_000 };

/** The byte length of text's complete lines: the offset a follower starts from after loading it. */
export function completeLinesBytes(text: string): number {
  return new TextEncoder().encode(text.slice(0, text.lastIndexOf('\n') + 1)).length;
}

export class RunsFollower {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly seen: Set<string>;
  private state: FollowState;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly listing: FollowedListing,
    private readonly folders: FollowedFolder[],
    seenIds: Iterable<string>,
    private readonly callbacks: FollowCallbacks,
    private readonly fetcher: typeof fetch = (input, init) => fetch(input, init),
    private readonly intervals = FOLLOW_INTERVAL_MS,
  ) {
    this.seen = new Set(seenIds);
    this.state = { writing: true, finished: false, runs: this.seen.size, lastNewRunAt: Date.now(), checkpointAt: '', stopped: false };
  }

  /** Polls at once, then again until the sweep finishes or stop() is called. */
  start(): void {
    void this.poll();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.state.stopped) this.report({ ...this.state, stopped: true });
  }

  get stopped(): boolean {
    return this.state.stopped;
  }

  /** One read of every folder; schedules the next unless following ended. */
  async poll(): Promise<void> {
    this.timer = null;
    if (this.state.stopped) return;
    const appended: RunRecord[] = [];
    const notes: string[] = [];
    let writing = false;
    let finished = true;
    let checkpointAt = '';
    let grew = false;
    try {
      const listed = await this.listedFiles();
      for (const folder of this.folders) {
        const tail = await this.readTail(folder);
        grew ||= tail.records.length > 0;
        notes.push(...tail.notes);
        for (const record of tail.records) {
          if (this.seen.has(record.id)) continue;
          this.seen.add(record.id);
          appended.push(record);
        }
        const checkpoint = await this.readCheckpoint(folder);
        finished &&= checkpoint?.finished === true;
        if (checkpoint && checkpoint.updatedAt > checkpointAt) checkpointAt = checkpoint.updatedAt;
        writing ||= listed.has(folder.lockFile) && (await this.lockIsFresh(folder));
      }
    } catch (error) {
      if (this.state.stopped) return;
      this.report({ ...this.state, stopped: true, error: (error as Error).message });
      return;
    }
    if (this.state.stopped) return;
    if (appended.length > 0) this.callbacks.appended(appended, notes);
    // done once every session finished, none writes, and the last read found nothing more
    const done = finished && !writing && !grew;
    this.report({ writing, finished, runs: this.seen.size, lastNewRunAt: appended.length > 0 ? Date.now() : this.state.lastNewRunAt, checkpointAt, stopped: done });
    // (a session that just finished: its last runs are read soon)
    if (!done) this.timer = setTimeout(() => void this.poll(), writing || finished ? this.intervals.writing : this.intervals.idle);
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
    const response = await this.fetcher(folder.runsUrl, { cache: 'no-store', headers: { range: `bytes=${from}-` } });
    const rewritten = (size: number) => new Error(`${folder.name} is shorter than when it was opened (${size} bytes, not ${folder.offset}): it was rewritten, so open the folder again`);
    if (response.status === 416) {
      // (an empty file asked from byte 0: a sweep that has recorded nothing yet)
      const size = Number(/\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1]);
      if (size === 0 && folder.offset === 0) return { records: [], notes: [] };
      throw rewritten(size);
    }
    if (!response.ok) throw new Error(`${folder.name}: the server answered ${response.status} ${response.statusText}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    // a server that ignores Range sends the whole file
    const start = response.status === 206 ? 0 : from;
    if (bytes.length < start + lead) throw rewritten(bytes.length);
    if (lead && bytes[start] !== 0x0a) throw new Error(`${folder.name} changed before byte ${folder.offset} since it was read: it was rewritten, so open the folder again`);
    const appended = bytes.subarray(start + lead);
    const end = appended.lastIndexOf(0x0a) + 1;
    if (end === 0) return { records: [], notes: [] };
    const text = this.decoder.decode(appended.subarray(0, end));
    const firstByte = folder.offset;
    folder.offset += end;
    if (text.trim() === '') return { records: [], notes: [] };
    try {
      return parseRunsJsonl(text, folder.name);
    } catch (error) {
      // (its line numbers count from where this read began)
      throw new Error(`${(error as Error).message} — in the part appended after byte ${firstByte}`);
    }
  }

  /** Whether a folder's lock (listed: it exists) was refreshed lately; a server that does not say when it changed is believed. */
  private async lockIsFresh(folder: FollowedFolder): Promise<boolean> {
    const response = await this.fetcher(new URL(folder.lockFile.split('/').map(encodeURIComponent).join('/'), this.listing.folderUrl).href, { method: 'HEAD', cache: 'no-store' });
    if (!response.ok) return false;
    const modified = Date.parse(response.headers.get('last-modified') ?? '');
    return !Number.isFinite(modified) || Date.now() - modified < SESSION_LOCK_STALE_MS;
  }

  /** The files the server lists in the served folder now. */
  private async listedFiles(): Promise<Set<string>> {
    const response = await this.fetcher(this.listing.url, { cache: 'no-store', headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`the server's list of results folders (${this.listing.url}) answered ${response.status} ${response.statusText}`);
    const entries = (await response.json()) as { name?: unknown; files?: unknown }[];
    const entry = Array.isArray(entries) ? entries.find((candidate) => candidate?.name === this.listing.name) : undefined;
    return new Set(Array.isArray(entry?.files) ? entry.files.filter((file): file is string => typeof file === 'string') : []);
  }

  private async readCheckpoint(folder: FollowedFolder): Promise<{ finished: boolean; updatedAt: string } | null> {
    const response = await this.fetcher(folder.checkpointUrl, { cache: 'no-store' });
    if (!response.ok) return null;
    try {
      const value = (await response.json()) as { finished?: unknown; updatedAt?: unknown };
      return { finished: value.finished === true, updatedAt: typeof value.updatedAt === 'string' ? value.updatedAt : '' };
    } catch {
      // replaced while it was read (it is written atomically, but a proxy might cut it): next poll
      return null;
    }
  }
}
