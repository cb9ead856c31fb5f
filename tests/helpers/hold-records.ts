// Preloaded into a `channelscope run` child (`node --import tsx --import <this file> bin/channelscope.js
// run …`) so that a test's kill lands mid-sweep whatever the machine's speed: once the file
// HOLD_RECORDS_FILE holds HOLD_RECORDS_AFTER complete lines, the write that completed them never
// returns. The main thread (which writes every record) blocks for good, so the sweep can neither go
// on nor end; only a signal that needs no JavaScript (SIGKILL) ends the process.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const file = process.env.HOLD_RECORDS_FILE;
const after = Number(process.env.HOLD_RECORDS_AFTER);

if (file && after > 0) {
  const { writeSync, fstatSync, statSync, readFileSync } = fs;
  const isHeldFile = (fd: number): boolean => {
    const target = statSync(file, { throwIfNoEntry: false });
    if (!target) return false;
    const written = fstatSync(fd);
    return written.ino === target.ino && written.dev === target.dev;
  };
  fs.writeSync = ((fd: number, ...rest: unknown[]) => {
    const count = (writeSync as (fd: number, ...rest: unknown[]) => number)(fd, ...rest);
    if (isHeldFile(fd) && readFileSync(file, 'utf8').split('\n').length - 1 >= after) {
      // blocks this thread for good (Atomics.wait on a value nobody changes, no timeout)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    }
    return count;
  }) as typeof fs.writeSync;
  // `import { writeSync } from 'node:fs'` elsewhere sees the wrapper too
  syncBuiltinESMExports();
}
