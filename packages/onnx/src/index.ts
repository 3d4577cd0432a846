/**
 * @myelin/onnx: export a Myelin Module to ONNX (opset 17) and import an ONNX model as a Module.
 */
export {};
