import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memory, randn, scope } from '@myelin/core';
import { importOnnx } from '@myelin/onnx';
import { loadCheckpoint, writeCheckpoint } from '@myelin/train';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/args.js';
import { main } from '../src/main.js';
import { MODELS } from '../src/models.js';
import { installedRecipes } from '../src/recipes.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');

async function run(argv: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await main(argv, (s) => {
    text += s;
  });
  return { code, text };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'myelin-cli-'));

describe('myelin CLI', () => {
  it('a reader that stops early (myelin models | head -1) ends the output quietly, exit 0', () => {
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" models | head -1`], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^lenet5 /);
    expect(r.stderr).toBe('');
  });

  it('models lists what can be trained', async () => {
    const { code, text } = await run(['models']);
    expect(code).toBe(0);
    expect(text).toMatch(/^lenet5 +LeNet-5/m);
    expect(text).toMatch(/^mlp +MLP 784-256-128/m);
  });

  it('every mistake in a command line gets a usage error that names the flag, what it expects and what it got', async () => {
    // Every installed zoo's recipes, sorted; zoo-cnn's are among them.
    const recipeNames = Object.keys((await installedRecipes()).recipes).join(', ');
    expect(recipeNames).toContain('adversarial-mnist, ');
    const cases: [string[], string][] = [
      [['frobnicate'], "unknown command 'frobnicate' (available: train, eval, models, export)"],
      [
        ['train', 'resnet9000'],
        `train: unknown model or recipe 'resnet9000' (models: lenet5, mlp, mlp-deep; recipes: ${recipeNames})`,
      ],
      [['train', 'mlp', 'extra'], "train: unexpected argument 'extra'"],
      [['models', 'x'], "models: unexpected argument 'x'"],
      [
        ['train', 'mlp', '--dataset', 'cifar'],
        "train: --dataset: expected one of mnist, fashion-mnist, got 'cifar'",
      ],
      [
        ['train', 'mlp', '--backend', 'tpu'],
        "train: --backend: expected one of best, cpu, wasm, webgpu, got 'tpu'",
      ],
      [['train', 'mlp', '--bogus', '3'], 'train: --bogus: not an option'],
      [['train', 'mlp', '--epoch', '3'], 'train: --epoch: not an option (did you mean --epochs?)'],
      [['train', 'mlp', '--epochs'], 'train: --epochs: needs a value'],
      [['train', 'mlp', '--epochs', '2', '--epochs=3'], 'train: --epochs: given twice'],
      [['train', 'mlp', '-e', '3'], "train: unknown flag '-e'"],
      [['train', 'mlp', '--lr', '0'], "train: --lr: expected a number > 0, got '0'"],
      [['eval', 'dir', '--epochs', '3'], 'eval: --epochs: not an option'],
      [
        ['eval', 'dir', '--dataset', 'cifar'],
        "eval: --dataset: expected one of checkpoint, mnist, fashion-mnist, got 'cifar'",
      ],
      [['eval'], 'eval: which checkpoint?'],
    ];
    // Names that are properties of every object must not be found as models.
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty'])
      cases.push([['train', name], `train: unknown model or recipe '${name}'`]);
    // Integer flags: every malformed value, generated per flag.
    const badIntegers = ['0.5', '1e3x', 'abc', '', '-1', 'NaN', 'Infinity', '0x10', '9007199254740993'];
    for (const flag of ['epochs', 'batch-size', 'seed', 'limit', 'val-limit'])
      for (const v of badIntegers)
        cases.push([['train', 'mlp', `--${flag}=${v}`], `train: --${flag}: expected an integer`]);
    for (const v of ['abc', '', '-1', 'Infinity', '1e', '--'])
      cases.push([['train', 'mlp', `--lr=${v}`], 'train: --lr: expected a number']);
    for (const v of ['abc', '-2', '1.5'])
      cases.push([['eval', 'dir', `--limit=${v}`], 'eval: --limit: expected an integer ≥ 0']);
    for (const [argv, message] of cases) {
      const err = await run(argv).then(
        () => null,
        (e: Error) => e,
      );
      expect([argv, err instanceof UsageError]).toEqual([argv, true]);
      expect([argv, err!.message]).toEqual([argv, expect.stringContaining(message)]);
    }
  });

  it('trains an MLP on 6,000 real MNIST images to ≥ 85% test accuracy, saves it, and eval reloads it', async () => {
    const dir = tmp();
    const before = memory().tensors;
    const r = await run([
      'train',
      'mlp',
      '--epochs',
      '1',
      '--limit',
      '6000',
      '--backend',
      'cpu',
      '--seed',
      '1',
      '--out',
      dir,
    ]);
    expect(r.code).toBe(0);
    const acc = Number(/test accuracy ([\d.]+)% on 10000 images/.exec(r.text)?.[1]);
    expect(acc).toBeGreaterThanOrEqual(85);
    expect(r.text).toContain(`saved ${join(dir, 'model.json')} (epoch 1)`);
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^model-[0-9a-f]{16}\.safetensors$/);
    expect(files[1]).toBe('model.json');
    const e = await run(['eval', dir, '--backend', 'cpu']);
    expect(e.text).toContain(
      `mlp on mnist test: accuracy ${acc.toFixed(2)}% (10000 images; checkpoint of epoch 1)`,
    );
    // The manifest's path works as well as its directory.
    const e2 = await run(['eval', join(dir, 'model.json'), '--backend', 'cpu', '--limit', '1000']);
    expect(e2.text).toMatch(/mlp on mnist test: accuracy [\d.]+% \(1000 images/);
    // Training, evaluating and reloading leave no tensors behind.
    expect(memory().tensors).toBe(before);
  }, 120_000);

  it('export writes a trained checkpoint as ONNX that computes what the checkpoint computes', async () => {
    const dir = tmp();
    const r = await run([
      'train',
      'mlp',
      '--epochs',
      '1',
      '--limit',
      '1000',
      '--val-limit',
      '200',
      '--backend',
      'cpu',
      '--out',
      dir,
    ]);
    expect(r.code).toBe(0);
    const file = join(dir, 'mlp.onnx');
    const before = memory().tensors;
    const e = await run(['export', dir, '--onnx', file]);
    expect(e.code).toBe(0);
    expect(e.text).toMatch(/^wrote .*mlp\.onnx: mlp \(\d+ bytes, ONNX opset 17/);
    // The file, read back by the ONNX importer, gives the checkpoint's logits.
    const ck = loadCheckpoint(dir, { name: 'model' });
    const model = MODELS.get('mlp')!.build(10);
    model.loadStateDict(ck.tensors);
    const onnx = importOnnx(new Uint8Array(readFileSync(file)));
    const [want, got] = scope(() => {
      const x = randn([3, 784], { seed: 1 });
      return [model.forward(x), onnx.forward(x) as ReturnType<typeof model.forward>];
    });
    expect(got.shape).toEqual([3, 10]);
    const a = await want.data();
    const b = await got.data();
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeLessThan(1e-4);
    for (const t of [want, got, ...Object.values(ck.tensors), ...model.parameters(), ...onnx.parameters()])
      t.dispose();
    expect(memory().tensors).toBe(before);
    await expect(run(['export', dir])).rejects.toThrow('export: where to? add --onnx FILE.onnx');
    await expect(run(['export', join(dir, 'nowhere'), '--onnx', file])).rejects.toThrow(
      /^export: no checkpoint at/,
    );
  }, 120_000);

  it('eval uses the data set the checkpoint records, and --limit', async () => {
    const dir = tmp();
    const args = ['--epochs', '1', '--limit', '2000', '--val-limit', '500', '--backend', 'cpu'];
    const r = await run(['train', 'mlp', '--dataset', 'fashion-mnist', ...args, '--out', dir]);
    const acc = Number(/test accuracy ([\d.]+)% on 500 images/.exec(r.text)?.[1]);
    expect(acc).toBeGreaterThan(40);
    const e = await run(['eval', dir, '--backend', 'cpu', '--limit', '500']);
    expect(e.text).toContain(`mlp on fashion-mnist test: accuracy ${acc.toFixed(2)}% (500 images;`);
    // Asked for another data set, it says so.
    const m = await run(['eval', dir, '--backend', 'cpu', '--limit', '10', '--dataset', 'mnist']);
    expect(m.text).toMatch(
      /^note: mlp was trained on fashion-mnist; evaluating on mnist\nmlp on mnist test: .*\(10 images/,
    );
  }, 120_000);

  it('eval rejects a checkpoint naming an unknown model, and one with a flipped byte, clearly', async () => {
    const dir = tmp();
    const weights = new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode('{}      ')]);
    writeCheckpoint(dir, {
      name: 'model',
      weights,
      epoch: 0,
      metadata: { model: 'constructor', dataset: 'mnist' },
    });
    await expect(run(['eval', dir, '--backend', 'cpu'])).rejects.toThrow(
      "unknown model in the checkpoint 'constructor' (available: lenet5, mlp, mlp-deep)",
    );
    const m = writeCheckpoint(dir, {
      name: 'model',
      weights,
      epoch: 0,
      metadata: { model: 'mlp', dataset: 'mnist' },
    });
    const path = join(dir, m.files.weights.path);
    const bytes = readFileSync(path);
    bytes[9]! ^= 1;
    writeFileSync(path, bytes);
    await expect(run(['eval', dir, '--backend', 'cpu'])).rejects.toThrow(
      /^eval: checkpoint file '.*' fails its SHA-256 check/,
    );
    await expect(run(['eval', join(dir, 'nowhere'), '--backend', 'cpu'])).rejects.toThrow(
      /^eval: no checkpoint at/,
    );
  });

  it('a checkpoint directory that cannot be written: one clear line on stderr, exit code 1, no stack', () => {
    const parent = tmp();
    writeFileSync(join(parent, 'file'), '');
    const r = spawnSync(
      process.execPath,
      [CLI, 'train', 'mlp', '--limit', '64', '--backend', 'cpu', '--out', join(parent, 'file', 'run')],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `myelin: --out '${join(parent, 'file', 'run')}': cannot create the directory (ENOTDIR: not a directory, mkdir '${join(parent, 'file', 'run')}')`,
    ]);
    const u = spawnSync(process.execPath, [CLI, 'train', 'mlp', '--epochs', 'x'], { encoding: 'utf8' });
    expect(u.status).toBe(2);
    expect(u.stderr).toBe(
      "myelin: train: --epochs: expected an integer ≥ 1, got 'x'\nrun 'myelin --help' for usage\n",
    );
  });
});
