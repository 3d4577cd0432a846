/**
 * Graphs for graph neural networks: the `Graph` class (COO edges on the host, destination-sorted
 * views and normalised adjacency matrices for message passing), batching, splits, neighbour
 * sampling, edge-list and node-link JSON readers, and parsers for the real graphs that
 * `@myelin/data/node` loads (Zachary's karate club, Les Misérables, Flare).
 */
export {
  type AdjacencyNormalization,
  type AdjacencyOptions,
  Graph,
  type GraphOptions,
  type InCsr,
} from './graph-core.js';
export {
  type EdgeListOptions,
  type Flare,
  flareFromJson,
  type GraphReaderLimits,
  type JsonGraphOptions,
  type KarateClub,
  karateClubFromNetworkxSource,
  type LesMiserables,
  lesMiserablesFromJson,
  type NodeLinkGraph,
  parseEdgeList,
  parseJsonGraph,
  readNodeLinkGraph,
} from './graph-io.js';
export {
  batchGraphs,
  type EdgeList,
  type EdgeSplit,
  type EdgeSplitOptions,
  type NeighborBatch,
  NeighborSampler,
  type NeighborSamplerOptions,
  type NodeSplitOptions,
  negativeSampling,
  randomEdgeSplit,
  randomNodeSplit,
} from './graph-ops.js';
