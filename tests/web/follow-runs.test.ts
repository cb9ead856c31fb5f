// Following a sweep still being written (web/src/results/follow-runs.ts), against `channelscope
// serve` itself: only the bytes after the last complete line are asked for, a line still being
// written waits for the next read, runs already seen are not passed on twice, following ends when
// the session finished and left, and a file rewritten under it stops it with a message. The polls are
// driven by hand (the follower's own timer is set far out).
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboardServer, type DashboardServer } from '../../src/cli/serve.js';
import type { RunRecord } from '../../src/experiment/results.js';
import { FolderLock, LOCK_FILE } from '../../src/experiment/folder-lock.js';
import { completeLinesEnd, RunsFollower, type FollowCallbacks, type FollowState } from '../../web/src/results/follow-runs.js';
import { finiteTheta, record } from './records.js';

let scratch: string;
let folder: string;
let served: DashboardServer;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'channelscope-follow-'));
  mkdirSync(path.join(scratch, 'web'));
  writeFileSync(path.join(scratch, 'web', 'index.html'), '<!doctype html>');
  folder = path.join(scratch, 'sweep');
  mkdirSync(folder);
  served = await startDashboardServer({ webRoot: path.join(scratch, 'web'), resultDirs: [folder], port: 0 });
});

afterAll(async () => {
  await served?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const line = (id: string) => `${JSON.stringify(record(id, finiteTheta))}\n`;
const FAR = { writing: 3_600_000, idle: 3_600_000 };

function checkpoint(finished: boolean): void {
  writeFileSync(path.join(folder, 'checkpoint.json'), JSON.stringify({ format: 1, shard: null, runs: 5, completed: 0, byReason: {}, finished, updatedAt: new Date().toISOString() }));
}

/** A follower of the served folder from `text` (what was loaded), with what it passes on. */
function follow(text: string, seen: string[], fetcher?: typeof fetch, more: Pick<FollowCallbacks, 'discover' | 'complete'> = {}) {
  const url = (file: string) => new URL(`${served.mounts[0].url}${file}`, served.url).href;
  const appended: RunRecord[][] = [];
  const states: FollowState[] = [];
  const follower = new RunsFollower(
    { url: new URL('/api/results', served.url).href, name: served.mounts[0].name },
    [{ name: 'sweep/runs.jsonl', runsUrl: url('runs.jsonl'), checkpointUrl: url('checkpoint.json'), lockFile: LOCK_FILE, offset: completeLinesEnd(new TextEncoder().encode(text)) }],
    seen,
    { appended: (records) => appended.push(records), state: (state) => states.push(state), ...more },
    fetcher,
    FAR,
  );
  return { follower, appended, states, ids: () => appended.map((batch) => batch.map((r) => r.id)) };
}

describe('following a served sweep while its session writes it', () => {
  it('reads the complete lines appended since the last read, until the session finished and left', async () => {
    const runs = path.join(folder, 'runs.jsonl');
    const loaded = line('a') + line('b');
    // a third record half written when the page loaded the folder
    writeFileSync(runs, loaded + line('c').slice(0, 25));
    // a session writing it (this process holds its lock, as \`run\` would)
    let lock = FolderLock.acquire(folder);
    checkpoint(false);
    const { follower, states, ids } = follow(loaded + line('c').slice(0, 25), ['a', 'b']);

    await follower.poll();
    expect(ids()).toEqual([]);
    expect(states.at(-1)).toMatchObject({ writing: true, finished: false, runs: 2, stopped: false });

    // c completed, d whole, e half: c and d come, e waits
    appendFileSync(runs, line('c').slice(25) + line('d') + line('e').slice(0, 10));
    await follower.poll();
    expect(ids()).toEqual([['c', 'd']]);
    expect(states.at(-1)).toMatchObject({ runs: 4, stopped: false });

    // a run already seen (a shard's folder listed twice, say) is not passed on again
    appendFileSync(runs, line('e').slice(10) + line('a'));
    await follower.poll();
    expect(ids()).toEqual([['c', 'd'], ['e']]);

    // a lock its session left when it was killed (kill -9: its process is gone) is no session, as the server judges it
    lock.release();
    writeFileSync(path.join(folder, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), since: '2026-12-07T00:00:00Z' }));
    await follower.poll();
    expect(states.at(-1)).toMatchObject({ writing: false, stopped: false });
    // resumed: a session holds it again
    rmSync(path.join(folder, LOCK_FILE));
    lock = FolderLock.acquire(folder);
    await follower.poll();
    expect(states.at(-1)).toMatchObject({ writing: true });

    // the session finishes and leaves: one more read finds nothing new, and following ends
    checkpoint(true);
    lock.release();
    await follower.poll();
    expect(states.at(-1)).toMatchObject({ writing: false, finished: true, runs: 5, stopped: true });
    expect(follower.stopped).toBe(true);
  });

  it('keeps reading, slowly, a sweep that stopped before its end (none writes it: a resume may come)', async () => {
    const runs = path.join(folder, 'runs.jsonl');
    writeFileSync(runs, line('a'));
    rmSync(path.join(folder, 'channelscope.lock'), { force: true });
    checkpoint(false);
    const { follower, states, ids } = follow(line('a'), ['a']);
    await follower.poll();
    expect(states.at(-1)).toMatchObject({ writing: false, finished: false, stopped: false });
    // resumed: its runs come in
    appendFileSync(runs, line('b'));
    await follower.poll();
    expect(ids()).toEqual([['b']]);
    follower.stop();
    expect(states.at(-1)).toMatchObject({ stopped: true, finished: false });
    expect(states.at(-1)?.error).toBeUndefined();
  });

  it('follows a sweep that has recorded nothing yet (an empty runs.jsonl) from its first run', async () => {
    const runs = path.join(folder, 'runs.jsonl');
    writeFileSync(runs, '');
    const lock = FolderLock.acquire(folder);
    checkpoint(false);
    const { follower, states, ids } = follow('', []);
    await follower.poll();
    expect(states.at(-1)).toMatchObject({ writing: true, runs: 0, stopped: false });
    appendFileSync(runs, line('a'));
    await follower.poll();
    appendFileSync(runs, line('b'));
    await follower.poll();
    expect(ids()).toEqual([['a'], ['b']]);
    follower.stop();
    lock.release();
  });

  it('says when a read fails for a reason that may pass (the server unreachable), and reads on when it answers again', async () => {
    const runs = path.join(folder, 'runs.jsonl');
    writeFileSync(runs, line('a'));
    checkpoint(false);
    let down = false;
    const flaky: typeof fetch = (input, init) => (down ? Promise.reject(new TypeError('Failed to fetch')) : fetch(input, init));
    const { follower, states, ids } = follow(line('a'), ['a'], flaky);
    down = true;
    await follower.poll();
    expect(states.at(-1)).toMatchObject({ stopped: false, unreachable: 'Failed to fetch' });
    down = false;
    appendFileSync(runs, line('b'));
    await follower.poll();
    expect(ids()).toEqual([['b']]);
    expect(states.at(-1)?.unreachable).toBeUndefined();
    follower.stop();
  });

  it("follows the sweep's folders that appear later (a job array's shards), and goes on while shards are still to come", async () => {
    const runs = path.join(folder, 'runs.jsonl');
    writeFileSync(runs, line('a'));
    checkpoint(true);
    const shard2 = path.join(folder, 'shard-2');
    let shardsThere = 1;
    const listedFiles: string[][] = [];
    const { follower, states, ids } = follow(line('a'), ['a'], undefined, {
      // the loader's part: a runs file at the sweep's depth that is not followed yet
      discover: async (files) => {
        listedFiles.push(files);
        if (!files.includes('shard-2/runs.jsonl') || shardsThere === 2) return [];
        shardsThere = 2;
        const url = (file: string) => new URL(`${served.mounts[0].url}${file}`, served.url).href;
        return [{ name: 'sweep/shard-2/runs.jsonl', runsUrl: url('shard-2/runs.jsonl'), checkpointUrl: url('shard-2/checkpoint.json'), lockFile: `shard-2/${LOCK_FILE}`, offset: 0 }];
      },
      complete: () => shardsThere === 2,
    });
    // its own session finished and left, but a shard is still to come: not done
    await follower.poll();
    expect(states.at(-1)).toMatchObject({ finished: true, writing: false, complete: false, stopped: false });
    expect(listedFiles.at(-1)).toEqual(expect.arrayContaining(['runs.jsonl', 'checkpoint.json']));
    // the other shard starts: its runs come from its first byte
    mkdirSync(shard2, { recursive: true });
    writeFileSync(path.join(shard2, 'runs.jsonl'), line('s2a') + line('s2b'));
    writeFileSync(path.join(shard2, 'checkpoint.json'), JSON.stringify({ format: 1, shard: { index: 2, count: 2 }, finished: false, updatedAt: '' }));
    await follower.poll();
    expect(ids()).toEqual([['s2a', 's2b']]);
    expect(states.at(-1)).toMatchObject({ finished: false, stopped: false });
    writeFileSync(path.join(shard2, 'checkpoint.json'), JSON.stringify({ format: 1, shard: { index: 2, count: 2 }, finished: true, updatedAt: '' }));
    await follower.poll();
    expect(states.at(-1)).toMatchObject({ finished: true, stopped: true, runs: 3 });
    rmSync(shard2, { recursive: true });
  });

  it('reads a folder no more once its session finished and left and a read since found nothing (a long job array costs its running shards)', async () => {
    const runs = path.join(folder, 'runs.jsonl');
    writeFileSync(runs, line('a'));
    checkpoint(true);
    const shard2 = path.join(folder, 'shard-2');
    mkdirSync(shard2, { recursive: true });
    writeFileSync(path.join(shard2, 'runs.jsonl'), '');
    const shardCheckpoint = (finished: boolean) => writeFileSync(path.join(shard2, 'checkpoint.json'), JSON.stringify({ format: 1, shard: { index: 2, count: 2 }, finished, updatedAt: '' }));
    shardCheckpoint(false);
    const lock = FolderLock.acquire(shard2);
    const asked: string[] = [];
    const counting: typeof fetch = (input, init) => {
      asked.push(new URL(String(input)).pathname.replace(served.mounts[0].url, ''));
      return fetch(input, init);
    };
    let discovered = false;
    const url = (file: string) => new URL(`${served.mounts[0].url}${file}`, served.url).href;
    const { follower, states, ids } = follow(line('a'), ['a'], counting, {
      discover: async () => {
        if (discovered) return [];
        discovered = true;
        return [{ name: 'sweep/shard-2/runs.jsonl', runsUrl: url('shard-2/runs.jsonl'), checkpointUrl: url('shard-2/checkpoint.json'), lockFile: `shard-2/${LOCK_FILE}`, offset: 0 }];
      },
    });
    try {
      // the first read of each: the finished folder's found nothing new, so it is read no more
      await follower.poll();
      expect(asked.splice(0)).toEqual(['/api/results', 'runs.jsonl', 'checkpoint.json', 'shard-2/runs.jsonl', 'shard-2/checkpoint.json']);
      appendFileSync(path.join(shard2, 'runs.jsonl'), line('s2a'));
      await follower.poll();
      expect(asked.splice(0)).toEqual(['/api/results', 'shard-2/runs.jsonl', 'shard-2/checkpoint.json']);
      expect(ids()).toEqual([['s2a']]);
      expect(states.at(-1)).toMatchObject({ finished: false, writing: true, stopped: false });
      // shard 2 finishes and leaves: read until a read finds nothing new, then following ends
      appendFileSync(path.join(shard2, 'runs.jsonl'), line('s2b'));
      shardCheckpoint(true);
      lock.release();
      await follower.poll();
      expect(states.at(-1)).toMatchObject({ finished: true, writing: false, stopped: false, runs: 3 });
      await follower.poll();
      expect(asked.splice(0)).toEqual(['/api/results', 'shard-2/runs.jsonl', 'shard-2/checkpoint.json', '/api/results', 'shard-2/runs.jsonl', 'shard-2/checkpoint.json']);
      expect(states.at(-1)).toMatchObject({ finished: true, writing: false, stopped: true, runs: 3 });
    } finally {
      lock.release();
      follower.stop();
      rmSync(shard2, { recursive: true });
    }
  });

  it('reads the same from a server that ignores Range (the whole file each time)', async () => {
    const runs = path.join(folder, 'runs.jsonl');
    writeFileSync(runs, line('a'));
    checkpoint(false);
    const wholeFiles: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.delete('range');
      return fetch(input, { ...init, headers });
    };
    const { follower, ids } = follow(line('a'), ['a'], wholeFiles);
    appendFileSync(runs, line('b') + line('c'));
    await follower.poll();
    appendFileSync(runs, line('d'));
    await follower.poll();
    expect(ids()).toEqual([['b', 'c'], ['d']]);
    follower.stop();
  });

  it('stops, saying so, when runs.jsonl was rewritten shorter, or a line appended is not a record', async () => {
    const runs = path.join(folder, 'runs.jsonl');
    writeFileSync(runs, line('a') + line('b'));
    checkpoint(false);
    const cut = follow(line('a') + line('b'), ['a', 'b']);
    writeFileSync(runs, line('z'));
    await cut.follower.poll();
    expect(cut.states.at(-1)).toMatchObject({ stopped: true });
    expect(cut.states.at(-1)?.error).toMatch(/^sweep\/runs\.jsonl is shorter than when it was opened \(\d+ bytes, not \d+\): it was rewritten, so open the folder again$/);
    // as long, or longer, but other lines: the byte that ended what was read is no longer a newline
    writeFileSync(runs, line('a') + line('b'));
    const replaced = follow(line('a') + line('b'), ['a', 'b']);
    writeFileSync(runs, `${line('a').slice(0, -1)} ${line('bb')}${line('c')}`);
    await replaced.follower.poll();
    expect(replaced.states.at(-1)?.error).toMatch(/^sweep\/runs\.jsonl changed before byte \d+ since it was read: it was rewritten, so open the folder again$/);

    writeFileSync(runs, line('a'));
    const damaged = follow(line('a'), ['a']);
    appendFileSync(runs, '{"not": "a record"}\n');
    await damaged.follower.poll();
    expect(damaged.states.at(-1)?.error).toMatch(/^sweep\/runs\.jsonl: line 1 is not a run record .* — in the part appended after byte \d+$/);
    expect(damaged.appended).toEqual([]);
  });
});
