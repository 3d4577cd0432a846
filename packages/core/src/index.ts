export * from './backend.js';
export * from './dtype.js';
export * from './kernels.js';
export * from './shape.js';
