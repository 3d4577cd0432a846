import { defineRecipe, type OptionValues, type Recipe, recipeStream } from '@myelin/train';
import { GAT, GCN, type GraphModel, GraphSAGE, MLP } from '../models.js';
import { curvesFigure } from './charts.js';
import { packageGraphSplit, type RecipeData } from './data.js';
import { type NodeTask, trainNodes } from './train.js';

const MODELS = ['gcn', 'sage', 'gat', 'mlp'] as const;
type ModelName = (typeof MODELS)[number];

const options = [
  {
    name: 'model',
    type: 'enum',
    default: 'all',
    values: [...MODELS, 'all'],
    help: 'gcn, sage (GraphSAGE, mean), gat (8 heads), mlp (features only), or all four on one split',
  },
  {
    name: 'maxNodes',
    type: 'integer',
    default: 10_000,
    min: 100,
    max: 63_697,
    help: 'keep the N most depended-upon packages (63,697: all)',
  },
  {
    name: 'vocabulary',
    type: 'integer',
    default: 500,
    min: 1,
    max: 1000,
    help: 'bag-of-words width: the most frequent words',
  },
  { name: 'epochs', type: 'integer', default: 100, min: 1, help: 'full-batch Adam steps' },
  {
    name: 'hidden',
    type: 'integer',
    default: 64,
    min: 1,
    help: 'hidden width (GAT: per head, 8 heads of hidden/8)',
  },
  { name: 'lr', type: 'number', default: 0.01, min: 1e-8, help: "Adam's learning rate" },
  { name: 'weightDecay', type: 'number', default: 5e-4, min: 0, help: 'L2 penalty (Adam weight decay)' },
  {
    name: 'dropout',
    type: 'number',
    default: 0.5,
    min: 0,
    max: 0.99,
    help: "drop probability on each layer's input",
  },
  {
    name: 'trainFraction',
    type: 'number',
    default: 0.5,
    min: 0.01,
    max: 0.9,
    help: 'fraction of packages with a known section; 10 % more validate, the rest test',
  },
  { name: 'evalEvery', type: 'integer', default: 10, min: 1, help: 'evaluate every N epochs' },
  {
    name: 'seed',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'seeds the split, the initialisation and dropout',
  },
] as const;

export type DebianSectionsOptions = OptionValues<typeof options> & RecipeData;

const TITLES: Record<ModelName, string> = {
  gcn: 'GCN',
  sage: 'GraphSAGE',
  gat: 'GAT',
  mlp: 'MLP (features only)',
};

function build(name: ModelName, inF: number, classes: number, o: DebianSectionsOptions): GraphModel {
  const common = { inF, hidden: o.hidden, classes, dropout: o.dropout, seed: o.seed };
  switch (name) {
    case 'gcn':
      return new GCN({ ...common, cached: true });
    case 'sage':
      return new GraphSAGE(common);
    case 'gat':
      return new GAT({ ...common, hidden: Math.max(1, Math.round(o.hidden / 8)), heads: 8 });
    case 'mlp':
      return new MLP(common);
  }
}

/**
 * `debian-sections`: which Debian section (python, libs, doc, …; 54 classes) a package is in, from
 * the words of its short description and the packages it depends on or that depend on it (the
 * dependency graph taken both ways). GCN, GraphSAGE and GAT against the features-only MLP on the
 * same seeded split: the graph models should beat the MLP.
 */
export const debianSections: Recipe<DebianSectionsOptions> = defineRecipe({
  name: 'debian-sections',
  title: 'Debian package sections from descriptions and dependencies',
  description:
    "Node classification on Debian 12's package graph (the 10,000 most depended-upon of its 63,697 " +
    'packages by default, dependencies both ways, 500-word bag of words of the short description, 54 sections): 2-layer GCN, GraphSAGE, GAT and ' +
    'a features-only MLP on one seeded 50/10/40 split, 100 full-batch Adam steps; reports the test ' +
    'accuracy of each (the graph models beat the MLP).',
  family: 'gnn',
  options,
  run: (o: DebianSectionsOptions) =>
    recipeStream(async (ctx) => {
      const { graph, sections, labels, train, val, test } = await packageGraphSplit(
        'debian-sections',
        ctx,
        o,
      );
      const n = graph.numNodes;
      const task: NodeTask = { graph, x: graph.x!, labels, train, val, test };
      ctx.emit({ type: 'metric', name: 'packages', value: n });
      ctx.emit({ type: 'metric', name: 'edges (both ways)', value: graph.numEdges });
      ctx.emit({ type: 'metric', name: 'sections', value: sections.length });
      const names: ModelName[] = o.model === 'all' ? [...MODELS] : [o.model as ModelName];
      const losses: Record<string, number[]> = {};
      const rows: string[] = [];
      for (const name of names) {
        const model = build(name, graph.x!.shape[1]!, sections.length, o);
        try {
          const r = await trainNodes(ctx, model, task, {
            epochs: o.epochs,
            lr: o.lr,
            weightDecay: o.weightDecay,
            evalEvery: o.evalEvery,
            events: names.length === 1,
          });
          losses[TITLES[name]] = r.losses;
          ctx.emit({ type: 'metric', name: `${name} test accuracy`, value: r.testAccuracy });
          ctx.emit({ type: 'metric', name: `${name} val accuracy`, value: r.valAccuracy });
          ctx.emit({ type: 'metric', name: `${name} seconds`, value: r.seconds, unit: 's' });
          rows.push(
            `| ${TITLES[name]} | ${model.numParameters().toLocaleString('en-US')} | ${(100 * r.trainAccuracy).toFixed(1)} % | ` +
              `${(100 * r.valAccuracy).toFixed(1)} % | ${(100 * r.testAccuracy).toFixed(1)} % | ${r.seconds.toFixed(1)} s |`,
          );
        } finally {
          model.dispose();
        }
      }
      ctx.emit({
        type: 'text',
        title: 'debian-sections: accuracy by model',
        text: [
          `${n} packages, ${graph.numEdges} directed edges (dependencies both ways), ${sections.length} sections; ` +
            `split ${task.train.length}/${task.val.length}/${task.test.length} (seed ${o.seed}), ${o.epochs} epochs`,
          '',
          '| model | parameters | train | val | test | time |',
          '| --- | ---: | ---: | ---: | ---: | ---: |',
          ...rows,
        ].join('\n'),
      });
      ctx.emit(curvesFigure('debian-sections: training loss', losses, 'cross-entropy'));
    }),
});
