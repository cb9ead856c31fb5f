// One headless Chromium at a time across vitest's parallel test files: a second browser launched
// beside a first on SwiftShader never got its page's WebGPU worker going. A lock directory holding
// its owner's pid, made aside and renamed into place (atomic, and never seen without its pid); a lock
// whose owner died is taken over.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const LOCK = path.join(os.tmpdir(), 'channelscope-browser-test.lock');

function ownerAlive(): boolean {
  try {
    const pid = Number(readFileSync(path.join(LOCK, 'pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // (a lock removed meanwhile reads as dead: the next try takes it)
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits until this process holds the browser lock; returns its release. */
export async function acquireBrowserLock(timeoutMs = 300_000): Promise<() => void> {
  const started = Date.now();
  const aside = `${LOCK}.${process.pid}`;
  for (;;) {
    rmSync(aside, { recursive: true, force: true });
    mkdirSync(aside);
    writeFileSync(path.join(aside, 'pid'), String(process.pid));
    try {
      // (rename replaces only an empty directory: a lock with its pid file stays)
      renameSync(aside, LOCK);
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
      rmSync(aside, { recursive: true, force: true });
      if (!ownerAlive()) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() - started > timeoutMs) throw new Error(`another test held the headless-browser lock ${LOCK} for ${timeoutMs} ms`);
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
