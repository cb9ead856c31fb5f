// `channelscope verify`: every variant on the current backend against the CPU engine and finite differences.
import type { Engine } from '../engine/engine.js';
import { ENGINE_TOLERANCE, FINITE_DIFFERENCE_TOLERANCE, verifyEngine } from '../engine/verify.js';

const fmt = (x: number) => x.toExponential(1).padStart(8);

export async function verify(engine: Engine, seed: number, json: boolean): Promise<boolean> {
  const reports = await verifyEngine(engine, { seed });
  const pass = reports.every((r) => r.pass);
  if (json) {
    process.stdout.write(`${JSON.stringify({ backend: engine.backend, device: engine.description, seed, pass, tolerances: { againstCpu: ENGINE_TOLERANCE, finiteDifferences: FINITE_DIFFERENCE_TOLERANCE }, variants: reports }, null, 2)}\n`);
    return pass;
  }
  process.stdout.write(`verifying ${engine.description} against the float64 CPU engine (max relative error per quantity)\n`);
  process.stdout.write(`tolerances: loss ${ENGINE_TOLERANCE.loss}, gradient ${ENGINE_TOLERANCE.gradient}, hvp ${ENGINE_TOLERANCE.hvp}; CPU vs finite differences: gradient ${FINITE_DIFFERENCE_TOLERANCE.gradient}, hvp ${FINITE_DIFFERENCE_TOLERANCE.hvp}\n`);
  process.stdout.write(`${'variant'.padEnd(28)}${'loss'.padStart(8)}${'grad'.padStart(9)}${'hvp'.padStart(9)}${'fd-grad'.padStart(9)}${'fd-hvp'.padStart(9)}\n`);
  for (const r of reports) {
    const { loss, gradient, hvp } = r.againstCpu;
    const fd = r.finiteDifferences;
    process.stdout.write(`${r.variant.padEnd(28)}${fmt(loss.maxRel)} ${fmt(gradient.maxRel)} ${fmt(hvp.maxRel)} ${fmt(fd.gradient.maxRel)} ${fmt(fd.hvp.maxRel)}  ${r.pass ? 'ok' : 'FAIL'}\n`);
  }
  const failed = reports.filter((r) => !r.pass).length;
  process.stdout.write(`${reports.length - failed} passed, ${failed} failed\n`);
  return pass;
}
