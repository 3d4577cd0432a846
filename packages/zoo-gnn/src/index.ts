/**
 * @myelin/zoo-gnn: graph neural networks on real graphs — GCN, GraphSAGE, GAT, GIN, R-GCN, gated
 * GNNs, global and hierarchical pooling, and DeepWalk/node2vec node embeddings.
 */
export * from './layers/index.js';
export * from './models.js';
export * from './recipes/index.js';
