// `channelscope verify`: the current backend's kernels against the float64 CPU engine: every
// evaluation variant (and the CPU's derivatives against finite differences), and on a GPU the training,
// strategy and diagnostics kernels (src/engine/verify-kernels.ts).
import type { Engine } from '../engine/engine.js';
import { GpuEngine } from '../engine/gpu/gpu-engine.js';
import { ENGINE_TOLERANCE, FINITE_DIFFERENCE_TOLERANCE, verifyEngine, type VariantReport } from '../engine/verify.js';
import { currentSoftware, softwareLabel } from '../experiment/software.js';
import { InputError } from '../user-input/input-error.js';
import { KERNEL_PARTS, KERNEL_TOLERANCE, VERIFY_PARTS, verifyKernels, type KernelCheck, type VerifyPart } from '../engine/verify-kernels.js';

const fmt = (x: number) => x.toExponential(1).padStart(8);

export async function verify(engine: Engine, seed: number, json: boolean, parts: readonly VerifyPart[] = VERIFY_PARTS): Promise<boolean> {
  // text goes out line by line as each check finishes, so a run cut short still shows what it checked
  const say = (line: string) => {
    if (!json) process.stdout.write(`${line}\n`);
  };
  // a check of nothing would exit 0, which a script reads as a pass
  if (!parts.includes('evaluation') && !(engine instanceof GpuEngine)) {
    throw new InputError(`--parts ${parts.join(',')}: these check a GPU's kernels against the CPU engine, and this backend is the CPU engine itself (${engine.description}): nothing would be checked; add evaluation (its derivatives against finite differences), or use --backend gpu`);
  }
  say(
    engine instanceof GpuEngine
      ? `verifying ${engine.description} against the float64 CPU engine`
      : `verifying ${engine.description}: the reference itself, so only its derivatives against finite differences mean anything here; a GPU's kernels are checked with --backend gpu`,
  );
  let variants: VariantReport[] = [];
  if (parts.includes('evaluation')) {
    say(`evaluation, max relative error per quantity; tolerances: loss ${ENGINE_TOLERANCE.loss}, gradient ${ENGINE_TOLERANCE.gradient}, hvp ${ENGINE_TOLERANCE.hvp}; CPU vs finite differences: gradient ${FINITE_DIFFERENCE_TOLERANCE.gradient}, hvp ${FINITE_DIFFERENCE_TOLERANCE.hvp}`);
    say(`${'variant'.padEnd(28)}${'loss'.padStart(8)}${'grad'.padStart(9)}${'hvp'.padStart(9)}${'fd-grad'.padStart(9)}${'fd-hvp'.padStart(9)}`);
    variants = await verifyEngine(engine, { seed, onVariant: (r) => say(variantLine(r)) });
  }
  const kernelParts = KERNEL_PARTS.filter((part) => parts.includes(part));
  let checks: KernelCheck[] = [];
  if (kernelParts.length > 0 && engine instanceof GpuEngine) {
    say(`\n${kernelParts.join(', ')}: the worst error as a fraction of its tolerance (each group's tolerance named on its line)`);
    let compared = '';
    checks = await verifyKernels(engine, {
      seed,
      parts: kernelParts,
      onCheck: (c) => {
        if (c.compared !== compared) say(`  ${(compared = c.compared)}:`);
        say(checkLine(c));
      },
    });
  } else if (kernelParts.length > 0) {
    say(`\n${kernelParts.join(', ')}: the CPU engine is the reference itself (verified on a GPU backend)`);
  }
  const pass = variants.every((r) => r.pass) && checks.every((c) => c.pass);
  const failed = variants.filter((r) => !r.pass).length + checks.filter((c) => !c.pass).length;
  const checked = variants.length + checks.length;
  say(checked === 0 ? 'nothing checked on this backend' : `${checked - failed} passed, ${failed} failed`);
  if (json) {
    const tolerances = { againstCpu: ENGINE_TOLERANCE, finiteDifferences: FINITE_DIFFERENCE_TOLERANCE, kernels: KERNEL_TOLERANCE };
    // the parts asked for, so that an empty list reads as not asked rather than as nothing found
    const report = { software: softwareLabel(currentSoftware()), backend: engine.backend, device: engine.description, seed, parts, pass, tolerances, variants, kernels: checks };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
  return pass;
}

function variantLine(r: VariantReport): string {
  const { loss, gradient, hvp } = r.againstCpu;
  const fd = r.finiteDifferences;
  return `${r.variant.padEnd(28)}${fmt(loss.maxRel)} ${fmt(gradient.maxRel)} ${fmt(hvp.maxRel)} ${fmt(fd.gradient.maxRel)} ${fmt(fd.hvp.maxRel)}  ${r.pass ? 'ok' : 'FAIL'}`;
}

/** A kernel check's line: worst error as a fraction of its tolerance, verdict, name, and each quantity's error or a note. */
function checkLine(c: KernelCheck): string {
  const errors = Object.entries(c.errors ?? {}).map(([quantity, error]) => `${quantity} ${error.toExponential(1)}`).join(', ');
  const notes = [errors, c.note].filter(Boolean).join('; ');
  return `${fmt(c.worst)}  ${(c.pass ? 'ok' : 'FAIL').padEnd(4)}  ${c.check}${notes ? `  (${notes})` : ''}`;
}
