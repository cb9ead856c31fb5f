// Resume after kill -9: a sweep killed mid-way and resumed holds every run exactly once, with the
// records of an uninterrupted sweep (the CPU engine is deterministic). And the refusals of `run`:
// bad spec, a used folder without --resume, a changed spec — exit 2, folder untouched.
// The interrupted sweeps cannot end before their signal, whatever the machine's speed: the kill -9
// one is held after its fifth record (tests/helpers/hold-records.ts), the SIGTERM one trains runs
// that never stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expandSpec } from '../../src/experiment/grid.js';
import { LOCK_FILE, readRecords, RUNS_FILE, type RunRecord } from '../../src/experiment/results.js';
import { parseSpec } from '../../src/experiment/spec.js';
import { BIN, runCli, snapshot } from '../helpers/cli.js';
import { scratchDir } from '../helpers/scratch.js';

const channelscope = (...args: string[]) => runCli(args);

const root = scratchDir('channelscope-resume-');

function completeLines(file: string): number {
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8').split('\n').length - 1;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `done()` holds, polling; false if it still does not after 60 s. */
async function waitFor(done: () => boolean): Promise<boolean> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await pause(10)) if (done()) return true;
  return done();
}

// sweeps started in the background: one held or endless must not outlive a failed test
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** `channelscope run …` in the background; `hold`: stopped dead after that many records (hold-records.ts). */
function startRun(args: string[], options: { hold?: { file: string; after: number }; stderr?: boolean } = {}) {
  const preload = options.hold ? ['--import', 'tsx', '--import', path.resolve('tests/helpers/hold-records.ts')] : [];
  const env = options.hold ? { ...process.env, HOLD_RECORDS_FILE: options.hold.file, HOLD_RECORDS_AFTER: String(options.hold.after) } : process.env;
  const child = spawn('node', [...preload, BIN, 'run', ...args], { stdio: ['ignore', 'ignore', options.stderr ? 'pipe' : 'ignore'], env });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, stderr: () => stderr };
}

const spec = {
  name: 'resume',
  architecture: { inputDim: 2, hidden: 4, activation: 'softplus' },
  data: { samples: 64 },
  optimizer: { kind: 'gd', lr: 0.05 },
  stop: { maxSteps: 3000, checkEvery: 100, gradTol: 1e-6, patience: 2000 },
  trajectory: { points: 10 },
  seeds: 16,
  grid: { 'optimizer.lr': [0.05, 0.1, 1e6] },
};

const strip = ({ wallSeconds: _w, ...rest }: RunRecord) => rest;

describe('channelscope run --resume', () => {
  it('after kill -9 mid-sweep, finishes with every run once and the records of an uninterrupted sweep', async () => {
    const specFile = path.join(root, 'resume.json');
    writeFileSync(specFile, JSON.stringify(spec));
    const runs = expandSpec(parseSpec(JSON.stringify(spec)));

    const reference = path.join(root, 'reference');
    // one thread here, two worker threads in the sweep to kill, the machine's cores on resume: the
    // records may not depend on them
    const uninterrupted = channelscope('run', specFile, '--out', reference, '--backend', 'cpu', '--slots', '4', '--threads', '1');

    // the sweep to kill, held after its fifth record: it cannot go on, let alone end, before the kill
    const dir = path.join(root, 'killed');
    const file = path.join(dir, RUNS_FILE);
    const killed = startRun([specFile, '--out', dir, '--backend', 'cpu', '--slots', '4', '--threads', '2'], { hold: { file, after: 5 } });
    expect(await waitFor(() => completeLines(file) >= 5), 'five records within 60 s').toBe(true);
    killed.child.kill('SIGKILL');
    expect((await killed.exited).signal).toBe('SIGKILL');
    const before = (await readRecords(file)).records;
    expect(before).toHaveLength(5); // killed mid-way, where the hold stopped it (of 48 runs)
    // as if the kill had landed in the middle of a write
    appendFileSync(file, JSON.stringify(before[0]).slice(0, 100));
    const completeText = readFileSync(file, 'utf8').slice(0, readFileSync(file, 'utf8').lastIndexOf('\n') + 1);

    const resumed = await channelscope('run', specFile, '--out', dir, '--backend', 'cpu', '--slots', '3', '--resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`resuming in .*: ${before.length} runs already done`));
    expect(resumed.stderr).toMatch(/partial last line/);
    expect(resumed.stderr).toMatch(/left locked by a session that is gone \(process \d+ on .*\): taken over/);
    expect(readFileSync(file, 'utf8').startsWith(completeText)).toBe(true); // complete records untouched

    const after = (await readRecords(file)).records;
    const ids = after.map((r) => r.id);
    expect(ids).toHaveLength(runs.length);
    expect(new Set(ids)).toEqual(new Set(runs.map((r) => r.id)));

    const done = await uninterrupted;
    expect(done.code, done.stderr).toBe(0);
    const expected = new Map((await readRecords(path.join(reference, RUNS_FILE))).records.map((r) => [r.id, r]));
    for (const record of after) {
      const twin = expected.get(record.id)!;
      expect(record.loss).toBe(twin.loss);
      expect(record.params).toEqual(twin.params);
      expect(strip(record)).toEqual(strip(twin));
    }
    expect(after.filter((r) => r.stopReason === 'diverged')).toHaveLength(16);

    // resuming a finished sweep runs nothing and changes nothing
    const finished = snapshot(dir);
    const again = await channelscope('run', specFile, '--out', dir, '--backend', 'cpu', '--resume');
    expect(again.code).toBe(0);
    expect(snapshot(dir)[RUNS_FILE]).toBe(finished[RUNS_FILE]);
  });

  it('refuses a second session on a folder in use; SIGTERM stops a one-thread sweep at once, keeping its records, and --resume goes on from them', async () => {
    // lr 1e6 diverges at the first check; lr 0.05 with no gradTol, no patience and a billion steps
    // does not stop within the test: after the four diverged records the sweep trains on until a
    // signal ends it (maxSeconds only ends a run a test run left behind, after ten minutes)
    const endless = { ...spec, name: 'endless', stop: { maxSteps: 1e9, maxSeconds: 600, checkEvery: 100, gradTol: 0 }, seeds: 4, grid: { 'optimizer.lr': [1e6, 0.05] } };
    const specFile = path.join(root, 'signal.json');
    writeFileSync(specFile, JSON.stringify(endless));
    const runs = expandSpec(parseSpec(JSON.stringify(endless)));
    expect(runs).toHaveLength(8);
    const dir = path.join(root, 'signalled');
    const file = path.join(dir, RUNS_FILE);
    // one thread: the CPU engine computes on the event loop's own thread
    const first = startRun([specFile, '--out', dir, '--backend', 'cpu', '--slots', '4', '--threads', '1'], { stderr: true });
    expect(await waitFor(() => completeLines(file) >= 4), 'the four lr = 1e6 runs, diverged at their first check, within 60 s').toBe(true);

    const second = await channelscope('run', specFile, '--out', dir, '--backend', 'cpu', '--resume');
    expect(second.stderr).toMatch(/is in use by another channelscope \(process \d+ on .*: channelscope run .*signal\.json.*two sessions would write every run twice/);
    expect(second.code).toBe(2);

    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(143);
    const kept = (await readRecords(file)).records;
    expect(kept.map((r) => r.stopReason)).toEqual(['diverged', 'diverged', 'diverged', 'diverged']);
    expect(first.stderr()).toMatch(/SIGTERM: stopped; 4 runs are stored in .*Continue with --resume/);
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    const keptText = readFileSync(file, 'utf8');

    // the resume finds the lock released (nothing to take over) and the four records; it trains the
    // endless runs on, so it too stops by SIGTERM, once it is under way (its engine named)
    const resumed = startRun([specFile, '--out', dir, '--backend', 'cpu', '--threads', '1', '--resume'], { stderr: true });
    expect(await waitFor(() => /^engine: /m.test(resumed.stderr())), resumed.stderr()).toBe(true);
    expect(resumed.stderr()).toMatch(/resuming in .*: 4 runs already done/);
    expect(resumed.stderr()).not.toMatch(/taken over/);
    resumed.child.kill('SIGTERM');
    expect((await resumed.exited).code).toBe(143);
    expect(resumed.stderr()).toMatch(/SIGTERM: stopped; 4 runs are stored in /);
    expect(readFileSync(file, 'utf8')).toBe(keptText);

    // its stderr read by a pipe that closes (`2>&1 | head -2`): at its next progress line it stops as on
    // SIGTERM, exit 141 (SIGPIPE's), its records kept and its folder released
    const piped = startRun([specFile, '--out', dir, '--backend', 'cpu', '--threads', '1', '--resume'], { stderr: true });
    expect(await waitFor(() => /^engine: /m.test(piped.stderr())), piped.stderr()).toBe(true);
    piped.child.stderr!.destroy();
    expect((await piped.exited).code).toBe(141);
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(keptText);
  });

  it('refuses a changed spec on --resume, a used folder without it, and a bad spec: exit 2, folder untouched', async () => {
    const specFile = path.join(root, 'small.json');
    const small = { ...spec, stop: { maxSteps: 20, checkEvery: 10 }, seeds: 2 };
    writeFileSync(specFile, JSON.stringify(small));
    const dir = path.join(root, 'used');
    expect((await channelscope('run', specFile, '--out', dir, '--backend', 'cpu')).code).toBe(0);
    const before = snapshot(dir);

    const plain = await channelscope('run', specFile, '--out', dir, '--backend', 'cpu');
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/already exists and is not empty: pass --resume/);
    expect(snapshot(dir)).toEqual(before);

    const changedFile = path.join(root, 'changed.json');
    writeFileSync(changedFile, JSON.stringify({ ...small, data: { samples: 32 } }));
    const changed = await channelscope('run', changedFile, '--out', dir, '--backend', 'cpu', '--resume');
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/spec differs.*data\.samples/);
    expect(snapshot(dir)).toEqual(before);

    // a different file with the same sweep resumes fine (cosmetic name change, defaults written out,
    // a base lr that the grid overrides anyway)
    const sameFile = path.join(root, 'same.json');
    writeFileSync(sameFile, JSON.stringify({ ...small, name: 'renamed', init: { scale: 1 }, optimizer: { kind: 'gd', lr: 0.07 } }));
    expect((await channelscope('run', sameFile, '--out', dir, '--backend', 'cpu', '--resume')).code).toBe(0);
    expect(snapshot(dir)[RUNS_FILE]).toBe(before[RUNS_FILE]);

    const badFile = path.join(root, 'bad.json');
    writeFileSync(badFile, JSON.stringify({ ...small, optimizer: { kind: 'gd', lr: 0.1 }, grid: { 'optimizer.lr': [0.1, -1] } }));
    const fresh = path.join(root, 'never');
    const bad = await channelscope('run', badFile, '--out', fresh, '--backend', 'cpu');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/optimizer\.lr.*-1/);
    expect(existsSync(fresh)).toBe(false);
    const badResume = await channelscope('run', badFile, '--out', dir, '--backend', 'cpu', '--resume');
    expect(badResume.code).toBe(2);
    expect(snapshot(dir)[RUNS_FILE]).toBe(before[RUNS_FILE]);

    const emptyDir = path.join(root, 'empty-out');
    mkdirSync(emptyDir);
    const slots = await channelscope('run', specFile, '--out', emptyDir, '--backend', 'cpu', '--slots', '0');
    expect(slots.code).toBe(2);
    expect(slots.stderr).toMatch(/--slots/);
    const threads = await channelscope('run', specFile, '--out', emptyDir, '--backend', 'cpu', '--threads', 'two');
    expect(threads.code).toBe(2);
    expect(threads.stderr).toMatch(/--threads must be an integer from 1 to 1024, got "two"/);
    expect(readdirSync(emptyDir)).toEqual([]);
  });

  it('starts again in a folder a kill left while the sweep began (a temporary spec.json, a lock set aside): they hold nothing, and those of dead sessions of this host go', async () => {
    const specFile = path.join(root, 'begin.json');
    writeFileSync(specFile, JSON.stringify({ ...spec, stop: { maxSteps: 20, checkEvery: 10 }, seeds: 1 }));
    // a PID no process has (above Linux's pid_max), and this test's own, which is alive
    const dead = 2 ** 22 + 12345;
    const host = hostname();
    for (const resume of [false, true]) {
      const dir = path.join(root, `killed-at-start-${resume}`);
      mkdirSync(dir);
      const gone = [`spec.json.tmp-${host}-${dead}`, `${LOCK_FILE}.stale-${host}-${dead}-k3j2`];
      // a live session's; another host's (its PIDs say nothing here); one from before names carried a host
      const kept = [`checkpoint.json.tmp-${host}-${process.pid}`, `spec.json.tmp-another-node-${dead}`, `spec.json.tmp-${dead}`];
      for (const name of [...gone, ...kept]) writeFileSync(path.join(dir, name), '{"half": ');
      const again = await channelscope('run', specFile, '--out', dir, '--backend', 'cpu', ...(resume ? ['--resume'] : []));
      expect(again.stderr).not.toMatch(/not empty|cannot resume/);
      expect(again.code).toBe(0);
      expect(readdirSync(dir).sort()).toEqual([...kept, 'checkpoint.json', RUNS_FILE, 'spec.json'].sort());
      expect(completeLines(path.join(dir, RUNS_FILE))).toBe(3);
    }
  });

  it("refuses to resume a folder's runs on another backend (a requeued job on a node without a GPU), and notes another device", async () => {
    const specFile = path.join(root, 'engines.json');
    writeFileSync(specFile, JSON.stringify({ ...spec, stop: { maxSteps: 20, checkEvery: 10 }, seeds: 1 }));
    const dir = path.join(root, 'engines');
    expect((await channelscope('run', specFile, '--out', dir, '--backend', 'cpu')).code).toBe(0);
    // as a kill leaves it: one run recorded, said to have been trained on a GPU
    const [first] = readFileSync(path.join(dir, RUNS_FILE), 'utf8').split('\n');
    const recordedOn = (backend: string, device: string) => writeFileSync(path.join(dir, RUNS_FILE), `${JSON.stringify({ ...JSON.parse(first), backend, device })}\n`);
    recordedOn('gpu', 'WebGPU on a lent H100');
    const before = snapshot(dir);
    const cpu = await channelscope('run', specFile, '--out', dir, '--backend', 'cpu', '--resume');
    expect(cpu.stderr).toContain(
      `cannot resume in ${dir}: its 1 runs so far were trained on the gpu backend (WebGPU on a lent H100), and this session's engine is cpu (CPU, float64, compensated sums over samples (reference engine)); one sweep's runs are trained by one backend. Resume with --backend gpu on a machine with a GPU, or use a new --out`,
    );
    expect(cpu.code).toBe(2);
    expect(snapshot(dir)).toEqual(before);
    // the same backend on another device (or thread count: no other device): a note
    recordedOn('cpu', 'CPU, float64, another machine');
    const other = await channelscope('run', specFile, '--out', dir, '--backend', 'cpu', '--threads', '2', '--resume');
    expect(other.stderr).toContain(`note: the runs so far in ${dir} were trained on CPU, float64, another machine, this session's on CPU, float64, compensated sums over samples (reference engine): runs it trains may differ`);
    expect(other.code).toBe(0);
    expect(completeLines(path.join(dir, RUNS_FILE))).toBe(3);
  });
});
