// `channelscope analyze`: diagnostics and verdict of one network given as files.
import { parseDatasetCsv } from '../data/csv.js';
import { analyzeNetwork } from '../experiment/analyze-network.js';
import { InputError } from '../model/input-error.js';
import { parseParameterFile } from '../model/params-file.js';
import { describeArchitecture } from '../model/architecture.js';

const g = (x: number) => (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toPrecision(5));

/**
 * `previous`: earlier parameter files of the same run (oldest first), which with the network make
 * the parameter history the verdict's subspace criterion and sharpening test read.
 */
export function analyzeFiles(paramsText: string, dataText: string, maxnorm: number, json: boolean, previous: { name: string; text: string }[] = []): void {
  const { arch, theta } = parseParameterFile(paramsText, 'parameters');
  const data = parseDatasetCsv(dataText, 'data');
  if (data.inputDim !== arch.inputDim) {
    throw new InputError(`data has ${data.inputDim} input columns but the network's first layer takes ${arch.inputDim} inputs`);
  }
  const earlier = previous.map(({ name, text }) => {
    const parsed = parseParameterFile(text, name);
    if (describeArchitecture(parsed.arch) !== describeArchitecture(arch)) {
      throw new InputError(`${name}: an earlier parameter file must have the network's architecture (${describeArchitecture(arch)}), it has ${describeArchitecture(parsed.arch)}`);
    }
    return parsed.theta;
  });
  const result = analyzeNetwork(arch, theta, data, maxnorm, earlier.length > 0 ? [...earlier, theta] : undefined);
  if (json) {
    process.stdout.write(`${JSON.stringify({ network: describeArchitecture(arch), samples: data.samples, maxnorm, ...result }, null, 2)}\n`);
    return;
  }
  const lines = [
    `network      ${describeArchitecture(arch)}, P=${result.parameters}, ${data.samples} samples`,
    `loss         ${g(result.loss)}   barrier ${g(result.barrier)}   ‖∇‖∞ ${g(result.gradInf)}   weight norm ${g(result.weightNorm)} (maxnorm ${g(maxnorm)})`,
    result.hessianEigenvalues
      ? `Hessian      λ_min ${g(result.hessianEigenvalues[0])}   λ_max ${g(result.hessianEigenvalues[result.hessianEigenvalues.length - 1])}`
      : `Hessian      spectrum omitted (more than 128 parameters)`,
    ...result.closestPairs.map(
      (p) => `layer ${p.layer + 1}      closest pair by cosine: ${p.cosine ? `${p.cosine.i},${p.cosine.j} at ${g(p.cosine.distance)}` : 'none'}; by L2: ${p.l2 ? `${p.l2.i},${p.l2.j} at ${g(p.l2.distance)}` : 'none'}`,
    ),
    `verdict      ${result.verdict.outcome}${result.verdict.channelStrict ? ' (also by the strict 1e-3 criterion)' : ''}: ${result.verdict.reason}`,
  ];
  if (result.symmetry) {
    const { kind, flipped, residual } = result.symmetry;
    const which = flipped.map((f) => `${f.neurons.join(',')} of layer ${f.layer + 1}`).join('; ');
    lines.push(
      kind === 'odd'
        ? `symmetry     neurons ${which} compared flipped (σ(−z) = −σ(z): (ũ, o) and (−ũ, −o) compute the same)`
        : `symmetry     neurons ${which} compared reflected (softplus(z) = softplus(−z) + z: (ũ, o) is (−ũ, o) plus o·(w·x + b); their linear terms cancel to ${residual!.map((r) => `${(100 * r).toFixed(1)}%`).join(', ')})`,
    );
  }
  if (result.glu) {
    const u = result.glu;
    lines.push(
      `GLU limit    pair ${u.i},${u.j} of layer ${u.layer + 1}: ε ${g(u.epsilon)}, c ${u.c.map(g).join(',')}, a ${u.a.map(g).join(',')}`,
      `             w [${u.w.map(g).join(', ')}], Δ [${u.delta.map(g).join(', ')}]`,
      `             max |f − f_GLU| on the data ${g(u.maxDeviation)}; loss at infinity ${u.lossAtInfinity === null ? `n/a (${u.layer < arch.hidden.length - 1 ? 'pair not in the last hidden layer' : 'reflections in an earlier layer'})` : g(u.lossAtInfinity)}`,
    );
  }
  if (result.sharpening) {
    const limit = result.sharpening;
    const neurons = limit.neurons.map((n) => `${n.neuron} of layer ${n.layer + 1} (‖ũ‖ ${g(n.inputNorm)})`).join(', ');
    lines.push(
      `sharpening   neurons ${neurons} tend to a ${limit.shape}`,
      limit.lossAtInfinity === null
        ? '             loss at infinity n/a (a neuron not in the last hidden layer)'
        : `             max |f − f_limit| on the data ${g(limit.maxDeviation!)}; loss at infinity ${g(limit.lossAtInfinity)}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
