/**
 * @myelin/onnx: export a Myelin Module to ONNX (opset 17) and import an ONNX model as a Module.
 */
export { EXPORTABLE_KERNELS, type ExportOptions, exportOnnx, exportOnnxModel } from './export.js';
export { IMPORTABLE_OPS, type ImportLimits, importOnnx, OnnxModule } from './import.js';
export { OPSET, onnx } from './proto.js';
export type { ForwardFn } from './trace.js';
