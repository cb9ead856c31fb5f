// `channelscope verify`: the current backend's kernels against the float64 CPU engine: every
// evaluation variant (and the CPU's derivatives against finite differences), and on a GPU the training,
// strategy and diagnostics kernels (src/engine/verify-kernels.ts).
import type { Engine } from '../engine/engine.js';
import { GpuEngine } from '../engine/gpu/gpu-engine.js';
import { ENGINE_TOLERANCE, FINITE_DIFFERENCE_TOLERANCE, verifyEngine, type VariantReport } from '../engine/verify.js';
import { KERNEL_PARTS, KERNEL_TOLERANCE, VERIFY_PARTS, verifyKernels, type KernelCheck, type VerifyPart } from '../engine/verify-kernels.js';

const fmt = (x: number) => x.toExponential(1).padStart(8);

export async function verify(engine: Engine, seed: number, json: boolean, parts: readonly VerifyPart[] = VERIFY_PARTS): Promise<boolean> {
  const say = (line: string) => {
    if (!json) process.stdout.write(`${line}\n`);
  };
  say(`verifying ${engine.description} against the float64 CPU engine`);
  let variants: VariantReport[] = [];
  if (parts.includes('evaluation')) {
    variants = await verifyEngine(engine, { seed });
    printVariants(variants, say);
  }
  const kernelParts = KERNEL_PARTS.filter((part) => parts.includes(part));
  let checks: KernelCheck[] = [];
  if (kernelParts.length > 0 && engine instanceof GpuEngine) {
    say(`\ntraining, kernel strategies and diagnostics (worst error as a fraction of its tolerance; ${JSON.stringify(KERNEL_TOLERANCE)})`);
    checks = await verifyKernels(engine, { seed, parts: kernelParts });
    printChecks(checks, say);
  } else if (kernelParts.length > 0) {
    say(`\n${kernelParts.join(', ')}: the CPU engine is the reference itself (verified on a GPU backend)`);
  }
  const pass = variants.every((r) => r.pass) && checks.every((c) => c.pass);
  const failed = variants.filter((r) => !r.pass).length + checks.filter((c) => !c.pass).length;
  const checked = variants.length + checks.length;
  say(checked === 0 ? 'nothing checked on this backend' : `${checked - failed} passed, ${failed} failed`);
  if (json) {
    const tolerances = { againstCpu: ENGINE_TOLERANCE, finiteDifferences: FINITE_DIFFERENCE_TOLERANCE, kernels: KERNEL_TOLERANCE };
    process.stdout.write(`${JSON.stringify({ backend: engine.backend, device: engine.description, seed, pass, tolerances, variants, kernels: checks }, null, 2)}\n`);
  }
  return pass;
}

function printVariants(reports: VariantReport[], say: (line: string) => void): void {
  say(`evaluation, max relative error per quantity; tolerances: loss ${ENGINE_TOLERANCE.loss}, gradient ${ENGINE_TOLERANCE.gradient}, hvp ${ENGINE_TOLERANCE.hvp}; CPU vs finite differences: gradient ${FINITE_DIFFERENCE_TOLERANCE.gradient}, hvp ${FINITE_DIFFERENCE_TOLERANCE.hvp}`);
  say(`${'variant'.padEnd(28)}${'loss'.padStart(8)}${'grad'.padStart(9)}${'hvp'.padStart(9)}${'fd-grad'.padStart(9)}${'fd-hvp'.padStart(9)}`);
  for (const r of reports) {
    const { loss, gradient, hvp } = r.againstCpu;
    const fd = r.finiteDifferences;
    say(`${r.variant.padEnd(28)}${fmt(loss.maxRel)} ${fmt(gradient.maxRel)} ${fmt(hvp.maxRel)} ${fmt(fd.gradient.maxRel)} ${fmt(fd.hvp.maxRel)}  ${r.pass ? 'ok' : 'FAIL'}`);
  }
}

/** The checks under a heading per comparison, in order of first appearance. */
function printChecks(checks: KernelCheck[], say: (line: string) => void): void {
  const width = Math.max(...checks.map((c) => c.check.length));
  for (const compared of new Set(checks.map((c) => c.compared))) {
    say(`  ${compared}:`);
    for (const c of checks.filter((check) => check.compared === compared)) {
      const errors = Object.entries(c.errors ?? {}).map(([quantity, error]) => `${quantity} ${error.toExponential(1)}`).join(', ');
      const notes = [errors, c.note].filter(Boolean).join('; ');
      say(`${c.check.padEnd(width)}${fmt(c.worst)}  ${c.pass ? 'ok' : 'FAIL'}${notes ? `  (${notes})` : ''}`);
    }
  }
}
