// Preloaded into a `channelscope run` child (`node --import tsx --import <this file> bin/channelscope.js
// run …`) so that a test's kill lands mid-sweep whatever the machine's speed: once the file
// HOLD_RECORDS_FILE holds HOLD_RECORDS_AFTER complete lines, the write that completed them does not
// return. The main thread (which writes every record) blocks, so the sweep can neither go on nor end.
// Its signal handlers, JavaScript that a blocked thread cannot run, are removed first: SIGTERM and
// SIGINT then end it as they end any process, so an interrupted test run leaves no child behind;
// after HOLD_LIMIT_MS it exits of itself.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const file = process.env.HOLD_RECORDS_FILE;
/** longer than any test that holds a sweep waits */
const HOLD_LIMIT_MS = 10 * 60_000;
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
      process.removeAllListeners('SIGTERM');
      process.removeAllListeners('SIGINT');
      // blocks this thread (Atomics.wait on a value nobody changes) until the limit
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, HOLD_LIMIT_MS);
      process.exit(3);
    }
    return count;
  }) as typeof fs.writeSync;
  // `import { writeSync } from 'node:fs'` elsewhere sees the wrapper too
  syncBuiltinESMExports();
}
