// The lock of a results folder: a live session's lock refuses, a dead session's is taken over — on
// this machine by asking its process (and its start time, against reused PIDs), elsewhere by its
// heartbeat — and a takeover raced by several sessions admits one.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderLock, LOCK_FILE, LOCK_STALE_MS } from '../../src/experiment/folder-lock.js';
import { scratchDir } from '../helpers/scratch.js';

const root = scratchDir('channelscope-lock-');
const folder = (name: string) => {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
};
const lockOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as { pid: number; host: string; bootId?: string };
const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

describe('FolderLock', () => {
  it('names this process, its machine and PID namespace; refuses a second acquire while held; releases only its own', () => {
    const dir = folder('held');
    const lock = FolderLock.acquire(dir);
    const holder = lockOf(dir);
    expect(holder).toMatchObject({ pid: process.pid, host: os.hostname() });
    expect(() => FolderLock.acquire(dir)).toThrow(/is in use by another channelscope \(process \d+/);
    expect(() => FolderLock.checkFree(dir)).toThrow(/is in use/);
    lock.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    FolderLock.checkFree(dir);
  });

  it('takes over a lock whose process is gone, whose PID is now this process, or whose machine has rebooted', () => {
    const dir = folder('dead');
    const since = '2026-01-01T00:00:00Z';
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ pid: deadPid(), host: os.hostname(), since }, /its process is gone/],
      // a restarted container's process often gets the PID its predecessor had
      [{ pid: process.pid, host: os.hostname(), since }, /its process id is now this process/],
    ];
    // this machine's boot id, as a lock of this process records it (Linux)
    const probe = folder('probe');
    const own = FolderLock.acquire(probe);
    const { bootId } = lockOf(probe);
    own.release();
    if (bootId) cases.push([{ pid: process.pid === 1 ? 2 : 1, host: os.hostname(), since, bootId: `${bootId}-before` }, /its machine has rebooted since/]);
    for (const [holder, why] of cases) {
      writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(holder));
      const lock = FolderLock.acquire(dir);
      expect(lock.note).toMatch(why);
      expect(lock.note).toMatch(/was left locked by a session that is gone .*: taken over$/);
      lock.release();
    }
  });

  it("takes over another machine's lock only once its heartbeat has stopped for LOCK_STALE_MS", () => {
    const dir = folder('remote');
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 4242, host: 'node-17', since: '2026-01-01T00:00:00Z', command: 'run sweep.json' }));
    expect(() => FolderLock.acquire(dir)).toThrow(/locked by a channelscope on another host, node-17 \(process 4242 on node-17, since .*: channelscope run sweep\.json\), which refreshed the lock/);
    const old = new Date(Date.now() - LOCK_STALE_MS - 60_000);
    utimesSync(path.join(dir, LOCK_FILE), old, old);
    const lock = FolderLock.acquire(dir);
    expect(lock.note).toMatch(/process 4242 on node-17.*it was last refreshed 11\.0 min ago\): taken over/);
    // the holder refreshes its lock: the mtime moves
    utimesSync(path.join(dir, LOCK_FILE), old, old);
    lock.refresh();
    expect(Date.now() - statSync(path.join(dir, LOCK_FILE)).mtimeMs).toBeLessThan(60_000);
    lock.release();
  });

  it('admits exactly one of several sessions that race to take over a dead lock', async () => {
    const dir = folder('race');
    // a winner says so and holds the lock until its stdin closes, which happens only once all four
    // have answered: however late a child starts, the lock it meets is the dead one or the winner's
    const script = `
      import { FolderLock } from ${JSON.stringify(path.resolve('src/experiment/folder-lock.ts'))};
      let lock;
      try { lock = FolderLock.acquire(${JSON.stringify(dir)}); }
      catch (error) { console.log(error.name === 'InputError' ? 'refused' : 'error ' + error.stack); }
      if (lock) {
        console.log('won');
        process.stdin.resume();
        await new Promise((resolve) => process.stdin.on('end', resolve));
        lock.release();
      }`;
    for (let trial = 0; trial < 3; trial++) {
      writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: os.hostname(), since: 'x' }));
      const children = Array.from({ length: 4 }, () => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
        child.stdin.on('error', () => {}); // a refused child may be gone when its stdin is closed
        let out = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
        // its answer: the first line, or whatever it printed by its exit
        const answered = new Promise<string>((resolve) => {
          child.stdout.on('data', () => out.includes('\n') && resolve(out.slice(0, out.indexOf('\n'))));
          void exited.then(() => resolve(out.trim()));
        });
        return { child, exited, answered };
      });
      const outcomes = await Promise.all(children.map((c) => c.answered));
      for (const { child } of children) child.stdin.end();
      await Promise.all(children.map((c) => c.exited));
      expect(outcomes.filter((o) => o === 'won'), outcomes.join(' | ')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'refused'), outcomes.join(' | ')).toHaveLength(3);
      // the winner released it on being told
      expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    }
  });
});

