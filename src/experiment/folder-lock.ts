// One session per results folder: DIR/channelscope.lock, made with O_EXCL while a session writes the
// folder, so that a second `run --resume` (or `continue`) on it is refused instead of training every
// run again beside the first (duplicate records, which report and merge then refuse).
//
// A lock outlives a session killed with kill -9, a crashed node or a restarted container; it is then
// taken over, and the only question is how a session tells a dead holder from a live one:
//   - on the same machine (host name, boot id) and in the same PID namespace: the holder's process is
//     asked (kill 0), and its start time compared, so a PID the kernel has since given to another
//     process (a restarted container's PID 1, this very process) does not keep the folder locked;
//   - anywhere else (another node on a shared disk, another container of the host): the holder
//     refreshes the lock's mtime every HEARTBEAT_MS while it lives; a lock not refreshed for
//     LOCK_STALE_MS is a dead session's (a Slurm job requeued after its node failed resumes then).
// Taking over is atomic: the stale file is renamed aside (one session wins the rename), and put back
// if what was renamed turns out to be a lock another session made meanwhile.
import { closeSync, linkSync, openSync, readFileSync, readlinkSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../user-input/input-error.js';
import { LOCK_FILE } from './folder-files.js';

export { LOCK_FILE };
/** A stale lock is renamed to this, then the taking session's host, PID and a random tag, while it is taken over (and removed right after). */
export const LOCK_ASIDE_PREFIX = `${LOCK_FILE}.stale-`;
/** A lock of another machine or container not refreshed for this long is a dead session's. */
export const LOCK_STALE_MS = 10 * 60_000;
/** How often a held lock's mtime is refreshed. */
const HEARTBEAT_MS = 30_000;
/** A lock file younger than this that does not (yet) hold a holder is being written by its maker. */
const BEING_WRITTEN_MS = 10_000;

/** What a lock file says of the session holding it (the identity fields where /proc has them: Linux). */
interface LockHolder {
  pid: number;
  host: string;
  since: string;
  command?: string;
  /** /proc/sys/kernel/random/boot_id: another boot of the same host name is another machine */
  bootId?: string;
  /** /proc/self/ns/pid: PIDs mean something only within one namespace */
  pidNamespace?: string;
  /** the process's start time in clock ticks since boot (/proc/PID/stat field 22): a reused PID has another */
  startTicks?: string;
}

type Judgement = { alive: true; remote: boolean; ageMs: number } | { alive: false; why: string };

/** Lock files this process holds: its own PID in a lock is stale unless listed here. */
const held = new Set<string>();

function readOptional(read: () => string): string | undefined {
  try {
    return read().trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A process's start time (clock ticks since boot), where /proc has it. */
function startTicksOf(pid: number): string | undefined {
  return readOptional(() => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses; fields count from its end
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  });
}

function thisProcess(): LockHolder {
  return {
    pid: process.pid,
    host: os.hostname(),
    since: new Date().toISOString(),
    command: process.argv.slice(2).join(' '),
    bootId: readOptional(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')),
    pidNamespace: readOptional(() => readlinkSync('/proc/self/ns/pid')),
    startTicks: startTicksOf(process.pid),
  };
}

/** Whether a process of this PID namespace with this id runs (EPERM: it runs as another user). */
export function processAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Both known and different (an unknown field decides nothing). */
const differ = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && a !== b;

function judge(holder: LockHolder, file: string, ageMs: number): Judgement {
  const me = thisProcess();
  if (holder.host === me.host && differ(holder.bootId, me.bootId)) return { alive: false, why: 'its machine has rebooted since' };
  if (holder.host === me.host && !differ(holder.pidNamespace, me.pidNamespace)) {
    if (holder.pid === process.pid) return held.has(file) ? { alive: true, remote: false, ageMs } : { alive: false, why: 'its process id is now this process' };
    if (!processAlive(holder.pid)) return { alive: false, why: 'its process is gone' };
    if (differ(holder.startTicks, startTicksOf(holder.pid))) return { alive: false, why: 'its process is gone (the id is another process now)' };
    return { alive: true, remote: false, ageMs };
  }
  // another machine or container: only the heartbeat says it lives
  return ageMs > LOCK_STALE_MS ? { alive: false, why: `it was last refreshed ${minutes(ageMs)} ago` } : { alive: true, remote: true, ageMs };
}

const minutes = (ms: number) => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 60_000).toFixed(1)} min`);

type ReadLock = { holder: LockHolder; ageMs: number } | 'being-written' | 'gone';

function readLock(file: string): ReadLock {
  let ageMs: number;
  let text: string;
  try {
    ageMs = Date.now() - statSync(file).mtimeMs;
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isInteger(parsed.pid) && typeof parsed.host === 'string') return { holder: { ...parsed, since: String(parsed.since ?? '?') } as LockHolder, ageMs };
  } catch {
    // not (yet) a holder: judged by its age
  }
  return ageMs < BEING_WRITTEN_MS ? 'being-written' : { holder: { pid: 0, host: os.hostname(), since: 'an unreadable lock file' }, ageMs };
}

function inUse(dir: string, file: string, read: ReadLock, judgement?: Judgement): string {
  if (read === 'being-written' || read === 'gone') return `${dir} is in use: another channelscope is starting to write there (${LOCK_FILE} was just made). Wait for it to finish, or use another --out`;
  const { holder } = read;
  const who = `process ${holder.pid} on ${holder.host}, since ${holder.since}${holder.command ? `: channelscope ${holder.command}` : ''}`;
  if (judgement?.alive && judgement.remote) {
    const where = holder.host === os.hostname() ? 'another container of this host' : `another host, ${holder.host}`;
    return (
      `${dir} is locked by a channelscope on ${where} (${who}), which refreshed the lock ${minutes(judgement.ageMs)} ago. ` +
      `It is taken over once ${minutes(LOCK_STALE_MS)} pass without a refresh (a session that died with its node or container); if that session no longer runs, delete ${file} and resume now`
    );
  }
  return `${dir} is in use by another channelscope (${who}): two sessions would write every run twice. Wait for it to finish or stop it, or use another --out`;
}

/**
 * The refusal a second session meets on `dir` (inUse's words): its lock is being written, or its
 * holder is alive; null where no live session holds it.
 */
function liveHolder(dir: string): string | null {
  const file = path.join(dir, LOCK_FILE);
  const read = readLock(file);
  if (read === 'gone') return null;
  if (read === 'being-written') return inUse(dir, file, read);
  const judgement = judge(read.holder, file, read.ageMs);
  return judgement.alive ? inUse(dir, file, read, judgement) : null;
}

/** Whether a session is writing the folder now: it holds a lock that is not a dead session's (as a second session would judge it). */
export function sessionWriting(dir: string): boolean {
  try {
    return liveHolder(dir) !== null;
  } catch {
    // a lock that cannot be read (permissions): no session known to write
    return false;
  }
}

const sameHolder = (a: LockHolder, b: LockHolder) => a.pid === b.pid && a.host === b.host && a.since === b.since;

export class FolderLock {
  private released = false;
  private readonly heartbeat: ReturnType<typeof setInterval>;

  private constructor(
    readonly file: string,
    private readonly holder: LockHolder,
    /** said to the user when the lock was taken over from a dead session */
    readonly note: string | null,
  ) {
    held.add(file);
    this.heartbeat = setInterval(() => this.refresh(), HEARTBEAT_MS);
    this.heartbeat.unref?.();
  }

  /** Takes DIR's lock, or throws an InputError naming the session that holds it. */
  static acquire(dir: string): FolderLock {
    const file = path.join(dir, LOCK_FILE);
    const mine = thisProcess();
    let note: string | null = null;
    // a few rounds: each lost race (a lock made or taken over meanwhile) is judged afresh
    for (let round = 0; round < 4; round++) {
      try {
        const fd = openSync(file, 'wx');
        try {
          const text = Buffer.from(`${JSON.stringify(mine)}\n`);
          let offset = 0;
          while (offset < text.length) offset += writeSync(fd, text, offset);
        } finally {
          closeSync(fd);
        }
        return new FolderLock(file, mine, note);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const read = readLock(file);
      if (read === 'gone') continue;
      if (read === 'being-written') throw new InputError(inUse(dir, file, read));
      const judgement = judge(read.holder, file, read.ageMs);
      if (judgement.alive) throw new InputError(inUse(dir, file, read, judgement));
      // taken over atomically: only one session renames the stale file aside
      const aside = path.join(dir, `${LOCK_ASIDE_PREFIX}${os.hostname()}-${process.pid}-${Math.random().toString(36).slice(2)}`);
      try {
        renameSync(file, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const moved = readLock(aside);
      if (typeof moved === 'object' && sameHolder(moved.holder, read.holder)) {
        unlinkSync(aside);
        note = `${dir} was left locked by a session that is gone (process ${read.holder.pid} on ${read.holder.host}, since ${read.holder.since}; ${judgement.why}): taken over`;
        continue;
      }
      // what was renamed is a lock another session made meanwhile: back where it was
      try {
        linkSync(aside, file);
      } catch {
        // a third session's lock stands there now: it holds the folder
      }
      unlinkSync(aside);
    }
    const read = readLock(file);
    throw new InputError(inUse(dir, file, read === 'gone' ? 'being-written' : read, typeof read === 'object' ? judge(read.holder, file, read.ageMs) : undefined));
  }

  /** Throws what acquire would throw for a folder held by a live session; changes nothing. */
  static checkFree(dir: string): void {
    const refusal = liveHolder(dir);
    if (refusal) throw new InputError(refusal);
  }

  /** Tells other machines the session lives (the lock's mtime). */
  refresh(): void {
    if (this.released) return;
    try {
      const now = new Date();
      utimesSync(this.file, now, now);
    } catch {
      // the folder went away under us: nothing to refresh
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.heartbeat);
    held.delete(this.file);
    // only our own lock: one taken over after a long stall is another session's now
    const read = readLock(this.file);
    if (typeof read === 'object' && sameHolder(read.holder, this.holder)) {
      try {
        unlinkSync(this.file);
      } catch {
        // gone meanwhile
      }
    }
  }
}
