// One headless Chromium at a time across vitest's parallel test files: a second browser launched
// beside a first on SwiftShader never got its page's WebGPU worker going. A lock directory holding
// its owner's pid, made aside and renamed into place, and released by renaming it away: so it is
// never seen without its pid, nor half removed. A lock whose owner died is taken over.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const LOCK = path.join(os.tmpdir(), 'channelscope-browser-test.lock');

/** The pid in a lock directory; null where there is none now (released meanwhile: try again). */
function ownerOf(dir: string): number | null {
  try {
    return Number(readFileSync(path.join(dir, 'pid'), 'utf8'));
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Moves a directory out of the way under a name of this process's, then removes it. */
function removeAside(dir: string, why: string): void {
  const gone = `${LOCK}.${why}.${process.pid}.${Date.now()}`;
  renameSync(dir, gone);
  rmSync(gone, { recursive: true, force: true });
}

/**
 * Waits until this process holds the browser lock; returns its release. The wait stays under the
 * suite's 600 s limit for a hook, so a lock never freed fails with this message, not a timeout.
 */
export async function acquireBrowserLock(timeoutMs = 540_000): Promise<() => void> {
  const started = Date.now();
  const aside = `${LOCK}.${process.pid}`;
  for (;;) {
    rmSync(aside, { recursive: true, force: true });
    mkdirSync(aside);
    writeFileSync(path.join(aside, 'pid'), String(process.pid));
    try {
      // (rename replaces only an empty directory: a lock, which always holds its pid, stays)
      renameSync(aside, LOCK);
      return () => {
        if (ownerOf(LOCK) === process.pid) removeAside(LOCK, 'released');
      };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
      rmSync(aside, { recursive: true, force: true });
      const owner = ownerOf(LOCK);
      if (owner !== null && !alive(owner)) {
        // a dead owner's lock (a test process killed), taken away under a name of this process's; if
        // what was taken is not that lock (another waiter replaced it with its own meanwhile), it is
        // put back. (A third process taking the lock in that moment is not guarded against.)
        const taken = `${LOCK}.stale.${process.pid}.${Date.now()}`;
        try {
          renameSync(LOCK, taken);
        } catch {
          continue; // (another waiter took it away first)
        }
        if (ownerOf(taken) === owner) rmSync(taken, { recursive: true, force: true });
        else renameSync(taken, LOCK);
        continue;
      }
      if (Date.now() - started > timeoutMs) throw new Error(`another test held the headless-browser lock ${LOCK} for ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
