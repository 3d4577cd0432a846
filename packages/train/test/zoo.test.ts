import { memory, Generator as Philox, tensor } from '@myelin/core';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  accuracy,
  checkRecipe,
  defineRecipe,
  fit,
  flagName,
  imageArray,
  mergeRecipes,
  optionUsage,
  parseRecipeOptions,
  type Recipe,
  type RecipeOption,
  RecipeOptionError,
  type RecipeRegistry,
  recipeStream,
  runRecipe,
  samplesEvent,
  type ZooEvent,
} from '../src/index.js';
import { batches, crossEntropy, PlainSgd, TinyMlp } from './helpers.js';

/** XOR of signs on Gaussian blobs, drawn on the host (no device tensors besides the two returned). */
function xorBlobs(n: number, seed: number) {
  const pts = new Philox(seed).normal(2 * n);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) ys[i] = pts[2 * i]! > 0 !== pts[2 * i + 1]! > 0 ? 1 : 0;
  return { x: tensor(pts, { shape: [n, 2] }), y: tensor(ys) };
}

const counts = () => {
  const { tensors, handles, bytes } = memory();
  return { tensors, handles, bytes };
};

/**
 * Nothing grew since `before`. Counts may shrink: the garbage collector can free, mid-run, tensors
 * that an earlier test dropped outside any scope.
 */
function expectNoGrowth(before: ReturnType<typeof counts>): void {
  const after = counts();
  expect(after.tensors).toBeLessThanOrEqual(before.tensors);
  expect(after.handles).toBeLessThanOrEqual(before.handles);
  expect(after.bytes).toBeLessThanOrEqual(before.bytes);
}

const OPTIONS = [
  { name: 'epochs', type: 'integer', default: 5, min: 1, help: 'passes over the data' },
  { name: 'lr', type: 'number', default: 0.1, min: 0, max: 10, help: 'learning rate' },
  { name: 'batchSize', type: 'integer', default: 32, min: 1, max: 4096, help: 'samples per step' },
  { name: 'augment', type: 'boolean', default: false, help: 'random crops' },
  { name: 'optimizer', type: 'enum', default: 'sgd', values: ['sgd', 'adam'], help: 'update rule' },
  { name: 'note', type: 'string', default: '', help: 'free text' },
] as const satisfies readonly RecipeOption[];

/** The message parseRecipeOptions throws for these raw values, or null when they parse. */
function problem(raw: Record<string, string | number | boolean | undefined>, source?: 'flags' | 'form') {
  try {
    parseRecipeOptions(OPTIONS, raw, source ? { source } : {});
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(RecipeOptionError);
    return (e as Error).message;
  }
}

describe('recipe options: parsing CLI flags and form values', () => {
  it('fills every default when nothing is given, typed by the declaration', () => {
    const o = parseRecipeOptions(OPTIONS, {});
    expect(o).toEqual({ epochs: 5, lr: 0.1, batchSize: 32, augment: false, optimizer: 'sgd', note: '' });
    expectTypeOf(o.epochs).toEqualTypeOf<number>();
    expectTypeOf(o.augment).toEqualTypeOf<boolean>();
    expectTypeOf(o.optimizer).toEqualTypeOf<'sgd' | 'adam'>();
  });

  it('takes flags by their kebab-case name or the camelCase key', () => {
    expect(flagName('batchSize')).toBe('batch-size');
    expect(parseRecipeOptions(OPTIONS, { 'batch-size': '64' }).batchSize).toBe(64);
    expect(parseRecipeOptions(OPTIONS, { batchSize: '64' }).batchSize).toBe(64);
    expect(problem({ batchSize: '1', 'batch-size': '2' })).toBe('--batch-size: given twice');
  });

  it("says what it expected and what it got: --epochs: expected an integer ≥ 1, got 'x'", () => {
    expect(problem({ epochs: 'x' })).toBe("--epochs: expected an integer ≥ 1, got 'x'");
    expect(problem({ lr: '11' })).toBe("--lr: expected a number in [0, 10], got '11'");
    expect(problem({ optimizer: 'Adam' })).toBe("--optimizer: expected one of sgd, adam, got 'Adam'");
    expect(problem({ augment: 'maybe' })).toBe("--augment: expected true or false, got 'maybe'");
    // A form names fields by key and shows numbers as numbers.
    expect(problem({ batchSize: 0 }, 'form')).toBe('batchSize: expected an integer in [1, 4096], got 0');
  });

  it('integers: only whole decimal numbers within range', () => {
    const bad = ['', ' ', '1.5', '1e3', '0x10', '0', '-1', '+0', '4097', '1_000', 'NaN', 'Infinity', '3 4'];
    for (const s of bad) expect(problem({ batchSize: s }), `'${s}'`).not.toBeNull();
    expect(problem({ epochs: '9007199254740993' })).not.toBeNull(); // beyond 2^53: not exact
    expect(problem({ epochs: 2.5 }, 'form')).not.toBeNull();
    expect(parseRecipeOptions(OPTIONS, { epochs: ' 7 ', batchSize: '+4096' })).toMatchObject({
      epochs: 7,
      batchSize: 4096,
    });
    // Every integer in range written as a flag reads back as itself (generated, both ends included).
    const g = new Philox(11);
    const draws = [1, 4096, ...g.randint(1, 4097, 200)];
    for (const v of draws) expect(parseRecipeOptions(OPTIONS, { 'batch-size': String(v) }).batchSize).toBe(v);
  });

  it('numbers: decimal and exponent forms, finite, within range', () => {
    expect(parseRecipeOptions(OPTIONS, { lr: '1e-3' }).lr).toBe(0.001);
    expect(parseRecipeOptions(OPTIONS, { lr: '.5' }).lr).toBe(0.5);
    expect(parseRecipeOptions(OPTIONS, { lr: '10' }).lr).toBe(10);
    expect(parseRecipeOptions(OPTIONS, { lr: '0' }).lr).toBe(0);
    for (const s of ['-0.1', '10.000001', 'NaN', 'Infinity', '1e999', '0x1', '1,5', '1e', 'e3', '.']) {
      expect(problem({ lr: s }), `'${s}'`).not.toBeNull();
    }
    expect(problem({ lr: Number.NaN }, 'form')).not.toBeNull();
    // Any double in range round-trips through its shortest decimal string (generated).
    const u = new Philox(12).uniform(200);
    for (let i = 0; i < u.length; i++) {
      const v = u[i]! * 10 ** ((i % 7) - 5);
      expect(parseRecipeOptions(OPTIONS, { lr: String(v) }).lr).toBe(v);
    }
  });

  it('booleans: a bare flag is true; true/false, 1/0, yes/no, on/off; a form checkbox is a boolean', () => {
    for (const s of ['', 'true', 'TRUE', '1', 'yes', 'on'])
      expect(parseRecipeOptions(OPTIONS, { augment: s }).augment).toBe(true);
    for (const s of ['false', '0', 'no', 'off'])
      expect(parseRecipeOptions(OPTIONS, { augment: s }).augment).toBe(false);
    expect(parseRecipeOptions(OPTIONS, { augment: true }, { source: 'form' }).augment).toBe(true);
    expect(problem({ augment: 2 }, 'form')).toBe('augment: expected true or false, got 2');
  });

  it('undefined means "not given" (an empty form field keeps the default); strings stay as given', () => {
    expect(parseRecipeOptions(OPTIONS, { epochs: undefined, note: ' a b ' })).toMatchObject({
      epochs: 5,
      note: ' a b ',
    });
    expect(problem({ note: 3 }, 'form')).toBe('note: expected a string, got 3');
  });

  it('an unknown flag is named, with the nearest options and the full list', () => {
    const m = problem({ epoch: '3' });
    expect(m).toBe(
      '--epoch: not an option (did you mean --epochs?); options: --epochs, --lr, --batch-size, --augment, --optimizer, --note',
    );
    expect(problem({ zzzzzz: '1' })).not.toContain('did you mean');
  });

  it('reports every problem at once', () => {
    try {
      parseRecipeOptions(OPTIONS, { epochs: '0', lr: 'x', colour: 'red' });
      expect.unreachable();
    } catch (e) {
      expect((e as RecipeOptionError).problems.map((p) => p.option)).toEqual(['colour', 'epochs', 'lr']);
    }
  });

  it('optionUsage: one help line from the declaration', () => {
    expect(optionUsage(OPTIONS[2])).toBe(
      '--batch-size <an integer in [1, 4096]> (default 32)  samples per step',
    );
    expect(optionUsage(OPTIONS[4])).toBe('--optimizer <one of sgd, adam> (default sgd)  update rule');
  });
});

const noRun = () => {
  throw new Error('not run in this test');
};
const recipe = (name: string, options: readonly RecipeOption[] = []): Recipe => ({
  name,
  title: name,
  description: '',
  family: 'test',
  options,
  run: noRun,
});

describe('recipe declarations and the registry', () => {
  it('checkRecipe rejects names, duplicate options, empty enums, inverted ranges and bad defaults', () => {
    const cases: [Recipe, string][] = [
      [recipe('LeNet_5'), "recipe 'LeNet_5': the name must be kebab-case (a-z, 0-9, '-')"],
      [recipe('a', [OPTIONS[0], OPTIONS[0]]), "recipe 'a', option 'epochs': declared twice"],
      [
        recipe('a', [{ name: 'opt', type: 'enum', default: 'x', values: [], help: '' }]),
        "recipe 'a', option 'opt': an enum needs distinct values, got []",
      ],
      [
        recipe('a', [{ name: 'k', type: 'integer', default: 3, min: 5, max: 1, help: '' }]),
        "recipe 'a', option 'k': min 5 is above max 1",
      ],
      [
        recipe('a', [{ name: 'epochs', type: 'integer', default: 0, min: 1, help: '' }]),
        "recipe 'a', option 'epochs': default is not an integer ≥ 1, got 0",
      ],
      [
        recipe('a', [{ name: 'batch-size', type: 'integer', default: 1, help: '' }]),
        "recipe 'a', option 'batch-size': the name must be camelCase",
      ],
    ];
    for (const [r, message] of cases) expect(() => checkRecipe(r)).toThrow(message);
    expect(() => checkRecipe(recipe('lenet5-mnist', OPTIONS))).not.toThrow();
  });

  it('mergeRecipes joins zoos sorted by name and rejects a name exported twice, naming both zoos', () => {
    const cnn: RecipeRegistry = { 'lenet5-mnist': recipe('lenet5-mnist'), 'vae-mnist': recipe('vae-mnist') };
    const rnn: RecipeRegistry = { 'char-rnn': recipe('char-rnn') };
    expect(Object.keys(mergeRecipes({ '@myelin/zoo-cnn': cnn, '@myelin/zoo-rnn': rnn }))).toEqual([
      'char-rnn',
      'lenet5-mnist',
      'vae-mnist',
    ]);
    expect(() =>
      mergeRecipes({ '@myelin/zoo-cnn': cnn, '@myelin/zoo-gan': { 'vae-mnist': recipe('vae-mnist') } }),
    ).toThrow("mergeRecipes: recipe 'vae-mnist' is exported by both @myelin/zoo-cnn and @myelin/zoo-gan");
    expect(() => mergeRecipes({ z: { lenet: recipe('lenet5') } })).toThrow(
      "mergeRecipes: z exports recipe 'lenet5' under the key 'lenet'",
    );
    expect(() => mergeRecipes({ z: { Bad: recipe('Bad') } })).toThrow(
      "z: recipe 'Bad': the name must be kebab-case",
    );
  });

  it('defineRecipe types run() from the declarations, and the result fits a registry', () => {
    const r = defineRecipe({
      name: 'typed',
      title: 'Typed',
      description: '',
      family: 'test',
      options: [
        { name: 'epochs', type: 'integer', default: 2, min: 1, help: '' },
        { name: 'model', type: 'enum', default: 'lenet5', values: ['lenet5', 'resnet18'], help: '' },
      ],
      run: (o) => {
        expectTypeOf(o).toEqualTypeOf<{ epochs: number; model: 'lenet5' | 'resnet18' }>();
        return recipeStream(async () => {});
      },
    });
    // Recipes typed by hand, with an interface for their options, fit a registry too.
    interface LenetOptions {
      epochs: number;
    }
    const byHand: Recipe<LenetOptions> = {
      ...recipe('by-hand'),
      run: (o: LenetOptions) => recipeStream(async () => void o),
    };
    const registry: RecipeRegistry = { typed: r, 'by-hand': byHand };
    expect(Object.keys(mergeRecipes({ z: registry }))).toEqual(['by-hand', 'typed']);
    expect(() =>
      defineRecipe({ ...recipe('typed'), options: [{ name: 'n', type: 'integer', default: 1.5, help: '' }] }),
    ).toThrow("recipe 'typed', option 'n': default is not an integer, got 1.5");
  });
});

describe('zoo events', () => {
  it('imageArray checks N·C·H·W against the data and clamps to [0, 1] on a copy', () => {
    const raw = new Float32Array([-0.5, 0, 0.25, 1, 1.5, 0.75, 0.5, 2]);
    const img = imageArray(raw, [2, 1, 2, 2]);
    expect(Array.from(img.data)).toEqual([0, 0, 0.25, 1, 1, 0.75, 0.5, 1]);
    expect(raw[0]).toBe(-0.5);
    expect(imageArray(raw, [2, 2, 2]).shape).toEqual([1, 2, 2, 2]);
    expect(() => imageArray(raw, [1, 1, 3, 3])).toThrow(
      'imageArray: shape [1, 1, 3, 3] needs 9 values, got 8',
    );
    expect(() => imageArray(raw, [8])).toThrow('expected a shape [N, C, H, W] or [C, H, W]');
    expect(() => imageArray([Number.NaN], [1, 1, 1, 1])).toThrow('imageArray: value 0 is NaN');
    expect(() => samplesEvent('x', img, { labels: ['a'] })).toThrow('samplesEvent: 2 images but 1 labels');
    expect(samplesEvent('digits', img, { labels: ['3', '8'] })).toMatchObject({
      type: 'samples',
      title: 'digits',
    });
  });

  it('ZooEvent is one union discriminated on type (fit events included)', () => {
    const describeEvent = (e: ZooEvent): string => {
      switch (e.type) {
        case 'samples':
          return `${e.images.shape[0]} images`;
        case 'figure':
          return e.kind === 'chart' ? String(e.spec.mark) : `${e.image.shape[2]}px`;
        case 'metric':
          return `${e.name} ${e.value}`;
        case 'episode':
          return `return ${e.return}`;
        case 'batchEnd':
          return `loss ${e.loss}`;
        default:
          return e.type;
      }
    };
    expect(describeEvent({ type: 'metric', name: 'test accuracy', value: 0.99 })).toBe('test accuracy 0.99');
    expect(
      describeEvent({
        type: 'figure',
        kind: 'chart',
        title: 'loss',
        spec: { mark: 'line', data: { values: [] } },
      }),
    ).toBe('line');
    expect(describeEvent({ type: 'episode', episode: 0, return: 21, length: 21 })).toBe('return 21');
  });
});

/** A tiny recipe on `fit`: an MLP on XOR-like blobs; counts the batches it hands to fit. */
function xorRecipe(pulled: { batches: number; cleaned: number }) {
  return defineRecipe({
    name: 'xor-mlp',
    title: 'An MLP on XOR blobs',
    description: 'Two tanh layers learn the XOR of two signs.',
    family: 'test',
    options: [
      { name: 'epochs', type: 'integer', default: 20, min: 1, help: 'passes over the data' },
      { name: 'lr', type: 'number', default: 0.5, min: 0, help: 'SGD step' },
    ],
    run: ({ epochs, lr }) =>
      recipeStream(async (ctx) => {
        const data = xorBlobs(256, 1);
        const model = new TinyMlp(2, 16, 2);
        const optimizer = new PlainSgd(model.parameters(), lr);
        ctx.onEnd(() => {
          optimizer.zeroGrad();
          model.dispose();
          data.x.dispose();
          data.y.dispose();
          pulled.cleaned++;
        });
        const source = {
          length: 8,
          *[Symbol.iterator]() {
            for (const b of batches(data, 32)) {
              pulled.batches++;
              yield b;
            }
          },
        };
        const metric = accuracy();
        const last = await ctx.follow(
          fit(model, { optimizer, loss: crossEntropy, data: source, epochs, metrics: [metric] }),
        );
        ctx.throwIfStopped();
        ctx.emit({
          type: 'metric',
          name: 'train accuracy',
          value: last?.type === 'fitEnd' ? metric.compute() : Number.NaN,
        });
      }),
  });
}

describe('recipeStream: a recipe run as an Observable', () => {
  it('runs fit to the end, adds its own events, then frees everything it made', async () => {
    const pulled = { batches: 0, cleaned: 0 };
    const r = xorRecipe(pulled);
    const before = counts();
    const events = await lastValueFrom(runRecipe(r, {}).pipe(toArray()));
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('fitStart');
    expect(types.slice(-2)).toEqual(['fitEnd', 'metric']);
    expect(types.filter((t) => t === 'epochEnd')).toHaveLength(20);
    const acc = events.at(-1) as Extract<ZooEvent, { type: 'metric' }>;
    expect(acc.value).toBeGreaterThan(0.9); // XOR of signs is learnable by 16 tanh units
    expect(pulled).toEqual({ batches: 160, cleaned: 1 });
    expectNoGrowth(before);
  });

  it('runRecipe checks the values before anything runs', () => {
    const pulled = { batches: 0, cleaned: 0 };
    const r = xorRecipe(pulled);
    expect(() => runRecipe(r, { epoch: '3' })).toThrow(
      "--epoch: not an option of recipe 'xor-mlp' (did you mean --epochs?); options: --epochs, --lr",
    );
    expect(() => runRecipe(r, { lr: '-1' }, { source: 'form' })).toThrow(
      "lr: expected a number ≥ 0, got '-1'",
    );
    expect(pulled).toEqual({ batches: 0, cleaned: 0 });
  });

  it('unsubscribing stops training between batches, runs the cleanups, and leaves memory() flat', async () => {
    const pulled = { batches: 0, cleaned: 0 };
    const r = xorRecipe(pulled);
    const before = counts();
    let seen = 0;
    await new Promise<void>((resolve) => {
      const sub = r.run({ epochs: 50, lr: 0.5 }).subscribe((e) => {
        if (e.type !== 'batchEnd') return;
        seen++;
        if (seen === 3) {
          sub.unsubscribe();
          // Let fit's loop reach its next stop check.
          setTimeout(resolve, 30);
        }
      });
    });
    expect(seen).toBe(3);
    expect(pulled.batches).toBeLessThanOrEqual(4); // at most the batch in flight, not 50 epochs
    expect(pulled.cleaned).toBe(1);
    expectNoGrowth(before);
  });

  it('a failing body sends an error event, errors the Observable, and still cleans up', async () => {
    let cleaned = false;
    const events: ZooEvent[] = [];
    const failure = await new Promise<unknown>((resolve) => {
      recipeStream(async (ctx) => {
        ctx.onEnd(() => {
          cleaned = true;
        });
        ctx.emit({ type: 'text', title: 'sample', text: 'abc' });
        throw new RangeError('recipe: bad data');
      }).subscribe({ next: (e) => events.push(e), error: resolve });
    });
    expect((failure as Error).message).toBe('recipe: bad data');
    expect(events.map((e) => e.type)).toEqual(['text', 'error']);
    expect(cleaned).toBe(true);
  });
});
