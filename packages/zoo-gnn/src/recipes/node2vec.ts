import { defineRecipe, type OptionValues, type Recipe, recipeStream } from '@myelin/train';
import { nodeEmbeddings } from '../walks.js';
import { embeddingEvent, nearestCentroidAccuracy, pca2, scatterFigure } from './charts.js';
import { type GraphSource, type RecipeData, source } from './data.js';

const options = [
  { name: 'dim', type: 'integer', default: 16, min: 2, help: 'embedding width' },
  { name: 'walkLength', type: 'integer', default: 20, min: 2, help: 'nodes per random walk' },
  { name: 'walksPerNode', type: 'integer', default: 20, min: 1, help: 'walks started from every node' },
  { name: 'p', type: 'number', default: 1, min: 1e-6, help: 'return parameter (1/p weighs stepping back)' },
  {
    name: 'q',
    type: 'number',
    default: 1,
    min: 1e-6,
    help: 'in-out parameter (1/q weighs moving away); p = q = 1 is DeepWalk',
  },
  { name: 'window', type: 'integer', default: 5, min: 1, help: 'skip-gram context window on the walks' },
  { name: 'epochs', type: 'integer', default: 5, min: 1, help: 'skip-gram passes over the walks' },
  { name: 'seed', type: 'integer', default: 0, min: 0, help: 'seeds the walks and the skip-gram model' },
] as const;

export type Node2vecOptions = OptionValues<typeof options> & RecipeData;

function node2vecRecipe(
  name: string,
  title: string,
  description: string,
  key: 'karateClub' | 'lesMiserables',
  groupName: (label: number) => string,
): Recipe<Node2vecOptions> {
  return defineRecipe({
    name,
    title,
    description,
    family: 'gnn',
    options,
    run: (o: Node2vecOptions) =>
      recipeStream(async (ctx) => {
        const load = source(name, o.data, key) as GraphSource[typeof key];
        const { graph, names } = await load();
        ctx.onEnd(() => graph.dispose());
        if (!graph.y) throw new TypeError(`${name}: the graph needs y (the groups)`);
        const groups = Int32Array.from(await graph.y.data());
        ctx.throwIfStopped();
        const t0 = performance.now();
        const emb = await nodeEmbeddings(graph, {
          dim: o.dim,
          walkLength: o.walkLength,
          walksPerNode: o.walksPerNode,
          p: o.p,
          q: o.q,
          window: o.window,
          epochs: o.epochs,
          seed: o.seed,
        });
        ctx.throwIfStopped();
        const n = graph.numNodes;
        const xy = pca2(emb.data, n, emb.dim);
        const labels = Array.from(groups, groupName);
        ctx.emit(embeddingEvent(`${name}: node2vec embedding (PCA) by group`, xy, names, labels));
        ctx.emit(
          scatterFigure(
            `${name}: node2vec (p = ${o.p}, q = ${o.q}, ${o.dim}-D) projected by PCA, coloured by group`,
            xy,
            names,
            labels,
          ),
        );
        ctx.emit({ type: 'metric', name: 'walks', value: emb.numWalks });
        ctx.emit({ type: 'metric', name: 'groups', value: new Set(groups).size });
        ctx.emit({
          type: 'metric',
          name: 'nearest-centroid accuracy',
          value: nearestCentroidAccuracy(emb.data, n, emb.dim, groups),
        });
        ctx.emit({
          type: 'metric',
          name: 'nearest-centroid accuracy (2-D PCA)',
          value: nearestCentroidAccuracy(xy, n, 2, groups),
        });
        ctx.emit({ type: 'metric', name: 'seconds', value: (performance.now() - t0) / 1000, unit: 's' });
      }),
  });
}

/** `node2vec-lesmis`: node2vec embeddings of the Les Misérables characters, coloured by vega's group. */
export const node2vecLesmis = node2vecRecipe(
  'node2vec-lesmis',
  'node2vec on the Les Misérables co-appearance graph',
  'DeepWalk/node2vec (20 walks of 20 steps per character, p = q = 1, skip-gram 16-D, window 5, 5 ' +
    'epochs) on the 77 characters of Les Misérables (co-appearance counts as edge weights); PCA to 2-D ' +
    'coloured by group, and the nearest-centroid accuracy of the 11 groups in the embedding.',
  'lesMiserables',
  (g) => `group ${g}`,
);

/** `node2vec-karate`: node2vec embeddings of the karate club, coloured by club. */
export const node2vecKarate = node2vecRecipe(
  'node2vec-karate',
  'node2vec on Zachary’s karate club',
  'DeepWalk/node2vec (20 walks of 20 steps per member, p = q = 1, skip-gram 16-D, window 5, 5 epochs) ' +
    'on the karate club; PCA to 2-D coloured by club, and the nearest-centroid accuracy of the two clubs.',
  'karateClub',
  (g) => ['Mr. Hi', 'Officer'][g] ?? String(g),
);
