// `channelscope eval`: loss, gradient and Hessian-vector product of one network given as files.
import { parseDatasetCsv } from '../data/csv.js';
import type { Engine } from '../engine/engine.js';
import { describeArchitecture } from '../model/architecture.js';
import { InputError } from '../user-input/input-error.js';
import { formatParameterFile, parseParameterFile } from '../model/params-file.js';

export interface EvalInputs {
  paramsText: string;
  dataText: string;
  directionText?: string;
  maxnorm: number;
  /** the files' names, for messages (default: what they are) */
  names?: { params?: string; data?: string; direction?: string };
}

export async function evaluateFiles(engine: Engine, inputs: EvalInputs, json: boolean): Promise<void> {
  const names = { params: inputs.names?.params ?? 'parameters', data: inputs.names?.data ?? 'data', direction: inputs.names?.direction ?? 'direction' };
  const { arch, theta } = parseParameterFile(inputs.paramsText, names.params);
  const data = parseDatasetCsv(inputs.dataText, names.data);
  if (data.inputDim !== arch.inputDim) {
    throw new InputError(`${names.data} has ${data.inputDim} input columns but the network's first layer takes ${arch.inputDim} inputs`);
  }
  let direction: Float64Array | undefined;
  if (inputs.directionText !== undefined) {
    const parsed = parseParameterFile(inputs.directionText, names.direction);
    if (describeShape(parsed.arch) !== describeShape(arch)) {
      throw new InputError(`the direction ${names.direction} has shape ${describeShape(parsed.arch)}, the parameters ${names.params} have ${describeShape(arch)}`);
    }
    direction = parsed.theta;
  }
  const result = await engine.evaluate({ arch, data, params: theta, directions: direction, gradient: true, maxnorm: inputs.maxnorm });
  const report = {
    backend: engine.backend,
    device: engine.description,
    network: describeArchitecture(arch),
    samples: data.samples,
    loss: result.loss[0],
    barrier: result.barrier[0],
    objective: result.loss[0] + result.barrier[0],
    gradient: formatParameterFile(arch, result.gradient!),
    ...(result.hvp ? { hvp: formatParameterFile(arch, result.hvp) } : {}),
  };
  // a network whose outputs overflow float64 is a result, not an error; but JSON writes its
  // non-finite numbers as null, and such a gradient is no direction to give back
  const badGradient = result.gradient!.filter((value) => !Number.isFinite(value)).length;
  if (!Number.isFinite(report.objective) || badGradient > 0) {
    process.stderr.write(
      `channelscope: note: at these parameters the objective is ${report.objective} and ${badGradient} of the ${theta.length} gradient entries are not finite (the network's values overflow float64)${json ? '; JSON writes them as null' : ''}\n`,
    );
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const lines = [
    `backend    ${report.backend} (${report.device})`,
    `network    ${report.network}, ${report.samples} samples`,
    `loss       ${report.loss}`,
    `barrier    ${report.barrier}`,
    `objective  ${report.objective} (loss + barrier)`,
    // whole parameter files: `--json | jq .gradient` saves one to give back as --direction
    `gradient   ${JSON.stringify(report.gradient)} (of loss + barrier)`,
  ];
  if (report.hvp) lines.push(`hvp        ${JSON.stringify(report.hvp)} (Hessian of loss + barrier times --direction)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function describeShape(arch: { inputDim: number; hidden: number[]; biases: boolean }): string {
  return `d=${arch.inputDim} hidden=[${arch.hidden.join(',')}]${arch.biases ? ' with biases' : ' without biases'}`;
}
