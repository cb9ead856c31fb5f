// Temporary folders for a test file, removed with their contents when the file's tests are done.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

// Registered when a test file first imports this module: vitest gives each test file its own module
// graph (isolation, the default), so this runs after that file's tests, passed or failed.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A new empty folder in the system's temp folder (its name starts with `prefix`), removed after the
 * calling file's tests; call it at the top level of a file or inside a test.
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}
