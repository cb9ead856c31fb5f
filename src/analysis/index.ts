// Post-hoc analysis of trained networks, float64 and backend-agnostic: channels, their GLU limit,
// run classification and the statistics of a sweep.
export * from './network.js';
export * from './channels.js';
export * from './glu.js';
export * from './sharpening.js';
export * from './least-squares.js';
export * from './statistics.js';
export * from './classify.js';
export * from './permutation.js';
export * from './saddle-line.js';
