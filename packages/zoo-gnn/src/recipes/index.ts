import type { RecipeRegistry } from '@myelin/train';
import { debianSections } from './debian-sections.js';
import { gcnKarate } from './gcn-karate.js';
import { ginGraphs } from './gin-graphs.js';
import { node2vecKarate, node2vecLesmis } from './node2vec.js';
import { sageSampled } from './sage-sampled.js';

export type { DebianGraphData, GraphSource, NamedGraph, RecipeData } from './data.js';
export { debianSections, gcnKarate, ginGraphs, node2vecKarate, node2vecLesmis, sageSampled };

/** Every recipe of @myelin/zoo-gnn, by name. */
export const recipes: RecipeRegistry = {
  [debianSections.name]: debianSections,
  [gcnKarate.name]: gcnKarate,
  [ginGraphs.name]: ginGraphs,
  [node2vecKarate.name]: node2vecKarate,
  [node2vecLesmis.name]: node2vecLesmis,
  [sageSampled.name]: sageSampled,
};
