/** Safetensors bytes, tensor records on a backend, model files and state dicts. */
export * from './model-file.js';
export * from './safetensors.js';
export * from './state.js';
export * from './tensors.js';
