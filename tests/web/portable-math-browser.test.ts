// src/numerics/portable-math.ts gives the same bits in headless Chromium as in Node, where Math.sin,
// Math.cos and Math.pow do not (Node 20's V8 against Chromium's): the data, initial parameters and
// step sizes of a run are what they are wherever it trains. The module, stripped of its types,
// runs in the page; both sides evaluate every function on the same arguments.
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { launchHeadlessChromium } from '../../web/headless.js';
import { acquireBrowserLock } from '../helpers/browser-lock.js';
import * as portable from '../../src/numerics/portable-math.js';

type Portable = typeof portable;

/** Every function on arguments spread over its range (pure arithmetic, no Math in their making). */
function evaluateAll(pm: Portable, count: number): Record<string, number[]> {
  const spread = (low: number, high: number) => Array.from({ length: count }, (_, i) => low + (high - low) * ((i * 0.61803398875) % 1));
  return {
    log: spread(1e-9, 1e3).map(pm.portableLog),
    exp: spread(-700, 700).map(pm.portableExp),
    pow: spread(1e-6, 1).map((x, i) => pm.portablePow(x, -1 / (3 + (i % 3)))),
    sin: spread(-300, 300).map((x) => pm.portableSinCos(x)[0]),
    cos: spread(-300, 300).map((x) => pm.portableSinCos(x)[1]),
    cosTwoPi: spread(0, 1).map(pm.portableCosTwoPi),
  };
}

let browser: Browser;
let page: Page;
let release: (() => void) | undefined;

beforeAll(async () => {
  release = await acquireBrowserLock();
  browser = await launchHeadlessChromium({});
  page = await browser.newPage();
  const source = ts.transpileModule(readFileSync('src/numerics/portable-math.ts', 'utf8'), { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
  await page.evaluate(`window.portableModule = import(${JSON.stringify(`data:text/javascript,${encodeURIComponent(source)}`)})`);
});

afterAll(async () => {
  await browser?.close().catch(() => {});
  release?.();
});

describe('portable math in the browser', () => {
  it('gives Node’s bits for every function', async () => {
    const count = 5000;
    const inPage = (await page.evaluate(`window.portableModule.then((pm) => (${evaluateAll.toString()})(pm, ${count}))`)) as Record<string, number[]>;
    const inNode = evaluateAll(portable, count);
    for (const name of Object.keys(inNode)) {
      const differing = inNode[name].filter((value, i) => !Object.is(value, inPage[name][i])).length;
      expect(differing, name).toBe(0);
    }
  });
});
