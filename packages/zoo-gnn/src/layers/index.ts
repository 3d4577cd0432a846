export * from './gat.js';
export * from './gated.js';
export * from './gcn.js';
export * from './gin.js';
export {
  aggregationMatrix,
  clearGraphCache,
  type GcnNormalization,
  type GraphLike,
  gcnAdjacency,
  type InEdges,
  inEdges,
  type LoopMode,
  releaseGraph,
} from './graph.js';
export * from './pool.js';
export * from './rgcn.js';
export * from './sage.js';
