// The standard workloads (shared dataset of standard-normal inputs, softplus, biases, float32).
import type { Architecture } from '../src/model/architecture.js';

export interface Workload {
  name: string;
  networks: number;
  samples: number;
  inputDim: number;
  hidden: number;
  /** every network its own dataset */
  perNetworkData?: boolean;
}

export const WORKLOADS: Workload[] = [
  { name: 'W1', networks: 4096, samples: 1024, inputDim: 8, hidden: 8 },
  { name: 'W2', networks: 16384, samples: 1024, inputDim: 16, hidden: 16 },
  { name: 'W3', networks: 4096, samples: 4096, inputDim: 8, hidden: 8 },
  { name: 'W4', networks: 4096, samples: 10000, inputDim: 2, hidden: 4 },
  { name: 'W4-pernet', networks: 4096, samples: 10000, inputDim: 2, hidden: 4, perNetworkData: true },
];

/** A workload's network: one hidden layer of softplus neurons with biases. */
export function workloadArchitecture(w: Workload): Architecture {
  return { inputDim: w.inputDim, hidden: [w.hidden], activation: 'softplus', biases: true };
}
