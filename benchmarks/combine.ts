// Joins channelscope's and the peers' benchmark JSON into one table: per workload and operation,
// each framework's throughput and channelscope's ratio to it.
//   node dist/benchmarks/combine.js channelscope.json jax.json torch.json > combined.json
import { readFileSync } from 'node:fs';

interface Entry {
  workload: string;
  op: string;
  networkStepsPerSecond: number | null;
}
interface Report {
  framework: string;
  device?: string;
  version?: string;
  results: Entry[];
  error?: string;
}

export function combine(reports: Report[]) {
  const ours = reports.find((r) => r.framework === 'channelscope');
  if (!ours) throw new Error('no channelscope report among the inputs');
  const peers = reports.filter((r) => r !== ours);
  const rows = ours.results.map((entry) => {
    const row: Record<string, unknown> = { workload: entry.workload, op: entry.op, channelscope: entry.networkStepsPerSecond };
    for (const peer of peers) {
      const match = peer.results.find((p) => p.workload === entry.workload && p.op === entry.op);
      const theirs = match?.networkStepsPerSecond ?? null;
      row[peer.framework] = theirs;
      row[`ratioTo_${peer.framework}`] = theirs && entry.networkStepsPerSecond ? entry.networkStepsPerSecond / theirs : null;
    }
    return row;
  });
  return {
    date: new Date().toISOString(),
    frameworks: reports.map((r) => ({ framework: r.framework, device: r.device, version: r.version, error: r.error })),
    unit: 'network-steps per second (flow: right-hand-side evaluations; hvp: Hessian-vector products)',
    rows,
  };
}

const files = process.argv.slice(2);
if (files.length > 0) {
  const reports = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as Report);
  process.stdout.write(`${JSON.stringify(combine(reports), null, 2)}\n`);
}
