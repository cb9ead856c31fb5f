// One headless Chromium at a time across vitest's parallel test files: a second browser launched
// beside a first on SwiftShader never got its page's WebGPU worker going. A lock directory (mkdir is
// atomic) with the owner's pid; a lock whose owner died is taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits until this process holds the browser lock; returns its release. */
export async function acquireBrowserLock(timeoutMs = 300_000): Promise<() => void> {
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(path.join(LOCK, 'pid'), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // the pid file is written right after mkdir: give a fresh lock a moment before judging its owner
      if (Date.now() - started > 2_000 && !ownerAlive()) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() - started > timeoutMs) throw new Error(`another test held the headless-browser lock ${LOCK} for ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
