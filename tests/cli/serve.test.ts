// `channelscope serve` hands out files from the dashboard build and the given folders, and nothing
// else: no way out of a folder (.., encoded, absolute, backslashes, symlinks), only GET/HEAD,
// loopback by default, and loopback Host headers only (DNS rebinding).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_INFO_FILE, byteRange, dashboardBuildState, MAX_LISTED_FILES, safeSegments, servedFolderNotes, startDashboardServer, type DashboardServer } from '../../src/cli/serve.js';
import { runCli } from '../helpers/cli.js';
import { InputError } from '../../src/user-input/input-error.js';
import { FolderLock, LOCK_FILE } from '../../src/experiment/folder-lock.js';

const SECRET = 'top secret: must never be served';

let scratch: string;
let served: DashboardServer;
let port: number;

interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * A raw request: the path goes out byte for byte (fetch and URL would normalise `..` away). Each on a
 * connection of its own (agent: false): Node 20's global agent keeps sockets alive, and reusing one
 * just as the server's 5 s keep-alive timeout closes it fails with ECONNRESET (seen after a slow test).
 */
function request(rawPath: string, method = 'GET', headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method, agent: false, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'channelscope-serve-'));
  const web = path.join(scratch, 'web');
  mkdirSync(path.join(web, 'assets'), { recursive: true });
  writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>dashboard</title>');
  writeFileSync(path.join(web, 'assets', 'app.js'), 'console.log(1);');
  writeFileSync(path.join(scratch, 'secret.txt'), SECRET);
  const results = path.join(scratch, 'my results');
  mkdirSync(path.join(results, 'sub'), { recursive: true });
  writeFileSync(path.join(results, 'runs.jsonl'), '{"id":"a-s0"}\n');
  writeFileSync(path.join(results, 'sub', 'notes.txt'), 'notes');
  writeFileSync(path.join(results, 'sub', 'spec.json'), '{}');
  writeFileSync(path.join(scratch, 'outside.jsonl'), `{"id":"${SECRET}"}\n`);
  symlinkSync(path.join(scratch, 'secret.txt'), path.join(results, 'escape.txt'));
  symlinkSync(path.join(scratch, 'outside.jsonl'), path.join(results, 'escape.jsonl'));
  symlinkSync(scratch, path.join(results, 'escape-dir'));
  symlinkSync(path.join(results, 'sub', 'notes.txt'), path.join(results, 'inner-link.txt'));
  symlinkSync(path.join(results, 'runs.jsonl'), path.join(results, 'inner-runs.jsonl'));
  served = await startDashboardServer({ webRoot: web, resultDirs: [results], port: 0 });
  port = (served.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await served?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('channelscope serve', () => {
  it('binds 127.0.0.1 by default', () => {
    expect((served.server.address() as AddressInfo).address).toBe('127.0.0.1');
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('serves the dashboard and the results folders', async () => {
    const index = await request('/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.body).toContain('<title>dashboard</title>');
    expect((await request('/assets/app.js')).headers['content-type']).toMatch(/javascript/);
    const runs = await request('/results/0-my-results/runs.jsonl');
    expect(runs.status).toBe(200);
    expect(runs.body).toBe('{"id":"a-s0"}\n');
    expect((await request('/results/0-my-results/sub/notes.txt')).body).toBe('notes');
    // a link that stays inside its folder is followed
    expect((await request('/results/0-my-results/inner-link.txt')).body).toBe('notes');
    const head = await request('/results/0-my-results/runs.jsonl', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String('{"id":"a-s0"}\n'.length));
  });

  it('lists the folders and the files the page reads in them at /api/results, without links that leave them', async () => {
    const reply = await request('/api/results');
    expect(reply.status).toBe(200);
    // (sub/notes.txt and inner-link.txt are served, but the page reads no such file)
    expect(JSON.parse(reply.body)).toEqual([{ name: '0-my-results', url: '/results/0-my-results/', files: ['inner-runs.jsonl', 'runs.jsonl', 'sub/spec.json'], liveLocks: [] }]);
  });

  it(`lists at most ${MAX_LISTED_FILES} files of a folder, and says where it stopped (serve says so at its start)`, async () => {
    const array = path.join(scratch, 'array');
    // a job array's shard folders, each with its runs, spec and checkpoint, and a report the page does not read
    const shards = Math.ceil(MAX_LISTED_FILES / 3) + 1;
    for (let k = 0; k < shards; k++) {
      const shard = path.join(array, `shard-${String(k).padStart(5, '0')}`);
      mkdirSync(shard, { recursive: true });
      for (const name of ['runs.jsonl', 'spec.json', 'checkpoint.json', 'report.html']) writeFileSync(path.join(shard, name), '');
    }
    const other = await startDashboardServer({ webRoot: path.join(scratch, 'web'), resultDirs: [array], port: 0 });
    try {
      const [entry] = (await (await fetch(`${other.url}api/results`)).json()) as { files: string[]; truncated?: boolean }[];
      expect(entry.files).toHaveLength(MAX_LISTED_FILES);
      expect(entry.truncated).toBe(true);
      // the first folders in name order, whole
      expect(entry.files.slice(0, 3)).toEqual(['shard-00000/checkpoint.json', 'shard-00000/runs.jsonl', 'shard-00000/spec.json']);
      expect(entry.files.some((file) => file.endsWith('report.html'))).toBe(false);
      const [note] = await servedFolderNotes(other.mounts);
      expect(note).toBe(
        `${array} is too large to list whole (more than ${MAX_LISTED_FILES.toLocaleString('en-US')} files the page reads, or 100,000 entries in all): the page is offered the first ${MAX_LISTED_FILES.toLocaleString('en-US')} (by path), so runs in later folders are not shown`,
      );
      // the served folder of the other tests lists all of its files, and says nothing of a cut
      expect(JSON.parse((await request('/api/results')).body)[0]).not.toHaveProperty('truncated');
    } finally {
      await other.close();
      rmSync(array, { recursive: true, force: true });
    }
  });

  it("names the locks of sessions writing a folder now (as a second session judges them), not a dead session's", async () => {
    const results = path.join(scratch, 'my results');
    const lock = FolderLock.acquire(path.join(results, 'sub'));
    // a lock left by a process that is gone (kill -9)
    writeFileSync(path.join(results, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), since: '2026-12-07T00:00:00Z' }));
    try {
      const [entry] = JSON.parse((await request('/api/results')).body) as { files: string[]; liveLocks: string[] }[];
      expect(entry.files).toEqual(expect.arrayContaining([LOCK_FILE, `sub/${LOCK_FILE}`]));
      expect(entry.liveLocks).toEqual([`sub/${LOCK_FILE}`]);
      // (serve says so of the folders it is given at its start)
      expect(await servedFolderNotes(served.mounts)).toEqual([`a session is writing ${path.join(scratch, 'my results')} now: opened in the page, its runs come in as they finish`]);
    } finally {
      lock.release();
      rmSync(path.join(results, LOCK_FILE));
    }
    expect(await servedFolderNotes(served.mounts)).toEqual([]);
  });

  it.each([
    '/../secret.txt',
    '/results/0-my-results/../../secret.txt',
    '/results/0-my-results/%2e%2e/%2e%2e/secret.txt',
    '/results/0-my-results/%2E%2E%2F%2E%2E%2Fsecret.txt',
    '/results/0-my-results/..%5C..%5Csecret.txt',
    '/%2e%2e/secret.txt',
    '/results/0-my-results/%2Ftmp%2Fsecret.txt',
    `/results/0-my-results/${encodeURIComponent(path.join(os.tmpdir(), 'secret.txt'))}`,
    '/results/0-my-results/escape.txt',
    '/results/0-my-results/escape.jsonl',
    '/results/0-my-results/escape-dir/outside.jsonl',
    '/results/0-my-results/escape-dir/secret.txt',
    '/results/0-my-results/%00runs.jsonl',
    '/results/0-other/runs.jsonl',
    '/results/1-my-results/runs.jsonl',
    '/results/0-my-results/',
    '/results/0-my-results/sub',
    '/assets/../../secret.txt',
    '/%E0%A4%A', // not valid percent-encoding
  ])('refuses %s', async (rawPath) => {
    const reply = await request(rawPath);
    expect([403, 404, 400]).toContain(reply.status);
    expect(reply.body).not.toContain(SECRET);
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('answers %s with 405', async (method) => {
    const reply = await request('/results/0-my-results/runs.jsonl', method);
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('GET, HEAD');
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    expect((await request('/', 'GET', { host: `attacker.example:${port}` })).status).toBe(403);
    expect((await request('/', 'GET', { host: `localhost:${port}` })).status).toBe(200);
  });

  it('names the served folders in which the page will find no runs (serve notes them at its start)', async () => {
    const empty = path.join(scratch, 'not results');
    const sharded = path.join(scratch, 'shards');
    mkdirSync(path.join(empty, 'sub'), { recursive: true });
    writeFileSync(path.join(empty, 'sub', 'notes.txt'), 'notes');
    mkdirSync(path.join(sharded, 'shard-1'), { recursive: true });
    writeFileSync(path.join(sharded, 'shard-1', 'runs.jsonl'), '{"id":"a-s0"}\n');
    // a procedure preset's folder: the page opens its result as a figure
    const procedure = path.join(scratch, 'q-channel-jump');
    mkdirSync(procedure, { recursive: true });
    writeFileSync(path.join(procedure, 'procedure.json'), '{}');
    writeFileSync(path.join(procedure, 'result.json'), '{}');
    const other = await startDashboardServer({ webRoot: path.join(scratch, 'web'), resultDirs: [path.join(scratch, 'my results'), empty, sharded, procedure], port: 0 });
    try {
      expect(await servedFolderNotes(other.mounts)).toEqual([`${empty} holds no runs.jsonl (nor any .jsonl file) and no procedure's result.json yet: the page shows what a run writes into it once opened (its list is read again at each click)`]);
    } finally {
      await other.close();
    }
  });

  it("sends a results file's tail from a byte (Range), as the dashboard following a growing runs.jsonl asks", async () => {
    const whole = '{"id":"a-s0"}\n';
    const tail = await request('/results/0-my-results/runs.jsonl', 'GET', { range: 'bytes=7-' });
    expect([tail.status, tail.body, tail.headers['content-range'], tail.headers['content-length']]).toEqual([206, whole.slice(7), `bytes 7-${whole.length - 1}/${whole.length}`, String(whole.length - 7)]);
    // nothing after the end yet: 416 with the size, which tells a follower whether the file was cut
    const none = await request('/results/0-my-results/runs.jsonl', 'GET', { range: `bytes=${whole.length}-` });
    expect([none.status, none.body, none.headers['content-range']]).toEqual([416, '', `bytes */${whole.length}`]);
    // ranges it does not serve (several at once, malformed) get the whole file, as a server without ranges would send
    for (const range of ['bytes=0-1,3-4', 'lines=1-', 'bytes=5-2']) {
      const reply = await request('/results/0-my-results/runs.jsonl', 'GET', { range });
      expect([reply.status, reply.body, reply.headers['accept-ranges']]).toEqual([200, whole, 'bytes']);
    }
    // a HEAD request's Range is ignored (RFC 9110)
    const head = await request('/results/0-my-results/runs.jsonl', 'HEAD', { range: 'bytes=7-' });
    expect([head.status, head.headers['content-length']]).toEqual([200, String(whole.length)]);
    // and when each file last changed (a session's lock is refreshed while it lives)
    expect(Date.parse(tail.headers['last-modified'] ?? '')).toBeGreaterThan(Date.now() - 3_600_000);
    expect(byteRange('bytes=2-4', 10)).toEqual({ start: 2, end: 4 });
    expect(byteRange('bytes=2-40', 10)).toEqual({ start: 2, end: 9 });
    expect(byteRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
    expect(byteRange('bytes=-30', 10)).toEqual({ start: 0, end: 9 });
    expect(byteRange('bytes=10-', 10)).toBe('unsatisfiable');
    expect(byteRange('bytes=-0', 10)).toBe('unsatisfiable');
    expect(byteRange('bytes=-5', 0)).toBeNull();
    expect(byteRange('bytes=-', 10)).toBeNull();
  });

  it('sends nosniff and a content security policy with files', async () => {
    const reply = await request('/');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('decodes path segments but rejects those that could leave a folder', () => {
    expect(safeSegments('/results/0-a/b%20c.txt')).toEqual(['results', '0-a', 'b c.txt']);
    expect(safeSegments('/a/%2e%2e/b')).toBeNull();
    expect(safeSegments('/a/..%2fb')).toBeNull();
    expect(safeSegments('/C:%5Cwindows')).toBeNull();
    expect(safeSegments('relative')).toBeNull();
  });

  it('rejects a bad --port as bad input (exit code 2)', async () => {
    const result = await runCli(['serve', '--port', 'eighty']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--port');
  });

  it('refuses an address it cannot listen on as bad input, naming --host or --port (was a stack trace)', async () => {
    const web = path.join(scratch, 'web');
    // TEST-NET-1 (RFC 5737): an address no machine has
    await expect(startDashboardServer({ webRoot: web, resultDirs: [], port: 0, host: '192.0.2.1' })).rejects.toThrow(
      new InputError('serve: --host 192.0.2.1 is not an address of this machine (127.0.0.1, the default, or 0.0.0.0 for all of its addresses)'),
    );
    await expect(startDashboardServer({ webRoot: web, resultDirs: [], port })).rejects.toThrow(new InputError(`serve: port ${port} on 127.0.0.1 is in use (choose another with --port)`));
    await expect(startDashboardServer({ webRoot: web, resultDirs: [], port: 0, host: '192.0.2.1' })).rejects.toBeInstanceOf(InputError);
  });
});

describe('the dashboard build', () => {
  it('is missing, current, or stale: made from other code than the running one, which serve rebuilds', () => {
    const webRoot = mkdtempSync(path.join(os.tmpdir(), 'channelscope-build-'));
    expect(dashboardBuildState(webRoot, 'channelscope 0.1.0 (git b)')).toEqual({ state: 'missing' });
    writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html>');
    // a build from before build-info.json
    expect(dashboardBuildState(webRoot, 'channelscope 0.1.0 (git b)')).toEqual({ state: 'stale', builtFrom: 'an unknown version' });
    writeFileSync(path.join(webRoot, BUILD_INFO_FILE), JSON.stringify({ software: 'channelscope 0.1.0 (git a)' }));
    expect(dashboardBuildState(webRoot, 'channelscope 0.1.0 (git b)')).toEqual({ state: 'stale', builtFrom: 'channelscope 0.1.0 (git a)' });
    expect(dashboardBuildState(webRoot, 'channelscope 0.1.0 (git a)')).toEqual({ state: 'current' });
    rmSync(webRoot, { recursive: true, force: true });
  });
});
