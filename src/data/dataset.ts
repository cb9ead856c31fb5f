// A regression dataset: N samples of d inputs and one target, stored row-major.
// An ensemble either shares one dataset or gives each network its own (count = B).

export interface Dataset {
  inputDim: number;
  /** samples per dataset N */
  samples: number;
  /** number of datasets stored back to back: 1 (shared by every network) or B (one per network) */
  count: number;
  /** count × samples × inputDim inputs, row-major */
  x: Float64Array;
  /** count × samples targets */
  y: Float64Array;
}

export function validateDataset(data: Dataset): void {
  if (!Number.isInteger(data.inputDim) || data.inputDim < 1) throw new RangeError(`dataset input dimension must be a positive integer, got ${data.inputDim}`);
  if (!Number.isInteger(data.samples) || data.samples < 1) throw new RangeError('dataset is empty: at least one sample is needed');
  if (!Number.isInteger(data.count) || data.count < 1) throw new RangeError(`dataset count must be a positive integer, got ${data.count}`);
  if (data.x.length !== data.count * data.samples * data.inputDim) {
    throw new RangeError(`dataset x has ${data.x.length} values, expected ${data.count}×${data.samples}×${data.inputDim}`);
  }
  if (data.y.length !== data.count * data.samples) {
    throw new RangeError(`dataset y has ${data.y.length} values, expected ${data.count}×${data.samples}`);
  }
}

/** Index of the dataset network `net` uses. */
export function datasetIndexFor(data: Dataset, net: number): number {
  return data.count === 1 ? 0 : net;
}
