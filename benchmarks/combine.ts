// Joins benchmark reports into one table: per workload and operation, each framework's throughput
// and channelscope's ratio to it. Inputs: channelscope's Node report, the peers' (JAX, PyTorch), and
// channelscope's browser report (npm run bench:browser -- --json), which becomes the column
// `channelscope-browser` with `browserOverNode` = browser throughput / Node throughput.
//   node dist/benchmarks/combine.js channelscope.json jax.json torch.json [browser.json] > combined.json
//   npx tsx benchmarks/combine.ts --table node.json browser.json
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Entry {
  workload: string;
  op: string;
  networkStepsPerSecond: number | null;
  /** channelscope only: the measured interval's GPU time by timestamp queries, and the wall time */
  gpuSeconds?: number | null;
  seconds?: number;
  /** channelscope only: the kernel strategy measured */
  strategy?: string;
  /** why there is no throughput (a failed measurement, or a kernel that disagreed with the CPU engine) */
  error?: string;
  /** channelscope only: cost-model.ts figures */
  utilisation?: { achievedFlops: number; flopsShare: number; transcendentalShare: number; memoryShare: number; workgroupLoadShare?: number; bound: string };
}
interface Report {
  framework: string;
  device?: string;
  version?: string;
  /** channelscope's reports say where they ran; older ones lack it and count as Node */
  environment?: { kind: 'node' | 'browser'; runtime?: string; software?: string };
  results: Entry[];
  error?: string;
}

const BROWSER = 'channelscope-browser';

/** The column name: a channelscope report measured in a browser is its own column. */
function label(report: Report): string {
  return report.framework === 'channelscope' && report.environment?.kind === 'browser' ? BROWSER : report.framework;
}

function ratio(numerator: number | null | undefined, denominator: number | null | undefined): number | null {
  return numerator && denominator ? numerator / denominator : null;
}

export function combine(reports: Report[]) {
  const ours = reports.find((r) => label(r) === 'channelscope');
  if (!ours) throw new Error('no channelscope Node report among the inputs');
  const peers = reports.filter((r) => r !== ours);
  const rows = ours.results.map((entry) => {
    const row: Record<string, unknown> = { workload: entry.workload, op: entry.op, channelscope: entry.networkStepsPerSecond };
    for (const peer of peers) {
      const match = peer.results.find((p) => p.workload === entry.workload && p.op === entry.op);
      const theirs = match?.networkStepsPerSecond ?? null;
      row[label(peer)] = theirs;
      if (label(peer) === BROWSER) row.browserOverNode = ratio(theirs, entry.networkStepsPerSecond);
      else row[`ratioTo_${label(peer)}`] = ratio(entry.networkStepsPerSecond, theirs);
    }
    if (entry.strategy) row.strategy = entry.strategy;
    // a missing figure keeps its reason, ours and each peer's
    if (entry.error) row.error = entry.error;
    for (const peer of peers) {
      const reason = peer.results.find((p) => p.workload === entry.workload && p.op === entry.op)?.error;
      if (reason) row[`error_${label(peer)}`] = reason;
    }
    if (entry.gpuSeconds && entry.seconds) row.gpuBusyShare = entry.gpuSeconds / entry.seconds;
    if (entry.utilisation) {
      row.tflops = entry.utilisation.achievedFlops / 1e12;
      row.fp32PeakShare = entry.utilisation.flopsShare;
      if (entry.utilisation.workgroupLoadShare !== undefined) row.workgroupLoadShare = entry.utilisation.workgroupLoadShare;
      row.bound = entry.utilisation.bound;
    }
    return row;
  });
  return {
    date: new Date().toISOString(),
    frameworks: reports.map((r) => ({ framework: label(r), device: r.device, version: r.version ?? [r.environment?.software, r.environment?.runtime].filter(Boolean).join(', '), error: r.error })),
    unit: 'network-steps per second (flow: right-hand-side evaluations; hvp: Hessian-vector products)',
    rows,
  };
}

const isError = (column: string) => column === 'error' || column.startsWith('error_');

/**
 * Fixed-width text of the combined rows, for reading in a terminal: every column any row has, and
 * below the table the reasons for missing figures (the error columns, too long for a cell).
 */
export function formatTable(combined: ReturnType<typeof combine>): string {
  const columns = [...new Set(combined.rows.flatMap((row) => Object.keys(row)))].filter((c) => !isError(c));
  const cell = (value: unknown) => (typeof value === 'number' ? value.toPrecision(4) : value === null || value === undefined ? '—' : String(value));
  const widths = columns.map((c) => Math.max(c.length, ...combined.rows.map((row) => cell(row[c]).length)));
  const line = (cells: string[]) => cells.map((text, k) => (k < 2 ? text.padEnd(widths[k]) : text.padStart(widths[k]))).join('  ');
  const reasons = combined.rows.flatMap((row) =>
    Object.keys(row)
      .filter(isError)
      .map((c) => `${row.workload} ${row.op}, ${c === 'error' ? 'channelscope' : c.slice('error_'.length)}: ${String(row[c])}`),
  );
  return [line(columns), ...combined.rows.map((row) => line(columns.map((c) => cell(row[c])))), ...reasons].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const table = args.includes('--table');
  const files = args.filter((arg) => arg !== '--table');
  if (files.length > 0) {
    const combined = combine(files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as Report));
    process.stdout.write(table ? `${formatTable(combined)}\n` : `${JSON.stringify(combined, null, 2)}\n`);
  }
}
