// The per-run tabs' float64 work (per-run-compute.ts) off the page's thread, and off the sweep
// worker's, which may be busy training: its results are plain data, cloned back to the page.
import * as Comlink from 'comlink';
import { functionGrid, hessianSpectrum } from '../charts/network-views.js';
import { orUnavailable, type PerRunCompute } from '../views/per-run-compute.js';

const api: PerRunCompute = {
  functionGrid: async (record) => orUnavailable(() => functionGrid(record)),
  hessianSpectrum: async (record) => orUnavailable(() => hessianSpectrum(record)),
};

Comlink.expose(api);
