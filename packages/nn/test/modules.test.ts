import {
  Generator,
  Module,
  memory,
  noGrad,
  ones,
  Parameter,
  randint,
  randn,
  scope,
  type Tensor,
  tensor,
  vjp,
  zeros,
} from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  BatchNorm1d,
  Conv2d,
  crossEntropy,
  Dropout,
  Dropout2d,
  Embedding,
  Flatten,
  generateSquareSubsequentMask,
  interpolate,
  LayerNorm,
  Linear,
  LSTM,
  MaxPool2d,
  ModuleDict,
  ModuleList,
  MultiheadAttention,
  ParameterDict,
  ParameterList,
  ReLU,
  RNN,
  Sequential,
  summary,
  Tanh,
  TransformerEncoder,
  TransformerEncoderLayer,
} from '../src/index.js';

const keys = (m: Module) => Object.keys(m.stateDict());

describe('state-dict names are PyTorch’s', () => {
  it('LSTM: weight_ih_l{k}[_reverse] in PyTorch’s order, projections weight_hr', () => {
    const lstm = new LSTM(3, 4, { numLayers: 2, bidirectional: true, projSize: 2 });
    const names: string[] = [];
    for (const l of [0, 1])
      for (const s of ['', '_reverse'])
        names.push(
          ...['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh', 'weight_hr'].map((n) => `${n}_l${l}${s}`),
        );
    expect(keys(lstm)).toEqual(names);
    expect(lstm.getParameter('weight_hr_l1_reverse').shape).toEqual([2, 4]);
    expect(lstm.getParameter('weight_ih_l1').shape).toEqual([16, 4]);
    lstm.dispose();
  });

  it('BatchNorm: running_mean/running_var/num_batches_tracked, with camelCase getters that add no keys', () => {
    const bn = new BatchNorm1d(3);
    expect(keys(bn)).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(bn.runningMean).toBe(bn.running_mean);
    expect(bn.runningVar).toBe(bn.running_var);
    expect(bn.numBatchesTracked!.dtype).toBe('int32');
    expect(bn.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
    bn.dispose();
    const free = new BatchNorm1d(3, { trackRunningStats: false, affine: false });
    expect(keys(free)).toEqual([]);
  });

  it('MultiheadAttention and Transformer stacks', () => {
    const mha = new MultiheadAttention(8, 2);
    expect(keys(mha)).toEqual(['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
    expect(mha.outProj).toBe(mha.out_proj);
    const sep = new MultiheadAttention(8, 2, { kdim: 3, vdim: 5, addBiasKv: true });
    expect(keys(sep)).toEqual([
      'q_proj_weight',
      'k_proj_weight',
      'v_proj_weight',
      'in_proj_bias',
      'bias_k',
      'bias_v',
      'out_proj.weight',
      'out_proj.bias',
    ]);
    const enc = new TransformerEncoder(new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }), 2, {
      norm: new LayerNorm(8),
    });
    expect(keys(enc).filter((k) => k.startsWith('layers.1.'))).toEqual([
      'layers.1.self_attn.in_proj_weight',
      'layers.1.self_attn.in_proj_bias',
      'layers.1.self_attn.out_proj.weight',
      'layers.1.self_attn.out_proj.bias',
      'layers.1.linear1.weight',
      'layers.1.linear1.bias',
      'layers.1.linear2.weight',
      'layers.1.linear2.bias',
      'layers.1.norm1.weight',
      'layers.1.norm1.bias',
      'layers.1.norm2.weight',
      'layers.1.norm2.bias',
    ]);
    expect(keys(enc).slice(-2)).toEqual(['norm.weight', 'norm.bias']);
    // As PyTorch's deepcopy: every layer starts as the given one, as separate parameters.
    const [a, b] = enc.layers as [TransformerEncoderLayer, TransformerEncoderLayer];
    expect(a.linear1.weight.arraySync()).toEqual(b.linear1.weight.arraySync());
    expect(a.linear1.weight).not.toBe(b.linear1.weight);
    const fresh = new TransformerEncoder(
      (i) => new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, seed: i }),
      2,
    );
    expect(fresh.layers[0]!.linear1.weight.arraySync()).not.toEqual(
      fresh.layers[1]!.linear1.weight.arraySync(),
    );
    for (const m of [mha, sep, enc, fresh]) m.dispose();
  });
});

describe('containers', () => {
  it('Sequential numbers or names its children and runs them in order', () => {
    const s = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
    expect(keys(s)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(s.length).toBe(3);
    expect(s.at(-1)).toBeInstanceOf(Linear);
    expect([...s].map((l) => l.constructor.name)).toEqual(['Linear', 'ReLU', 'Linear']);
    s.append(new Tanh());
    expect(s.entries().map(([n]) => n)).toEqual(['0', '1', '2', '3']);
    scope(() => {
      const x = randn([5, 3], { seed: 1 });
      const manual = (s.at(2) as Linear).forward((s.at(0) as Linear).forward(x).relu()).tanh();
      expect(s.forward(x).arraySync()).toEqual(manual.arraySync());
    });
    const named = new Sequential({ fc: new Linear(2, 2), act: new ReLU() });
    expect(keys(named)).toEqual(['fc.weight', 'fc.bias']);
    expect(() => new Sequential({ training: new ReLU() })).toThrow(/clashes/);
    expect(() => new Sequential({ 'a.b': new ReLU() })).toThrow(/contain no '\.'/);
    s.dispose();
    named.dispose();
  });

  it('ModuleList registers items and renumbers on insert/pop; ModuleDict by key', () => {
    const l = new ModuleList([new Linear(2, 3), new Linear(3, 4)]);
    expect(keys(l)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    l.insert(0, new Linear(1, 2));
    expect(keys(l).filter((k) => k.endsWith('weight'))).toEqual(['0.weight', '1.weight', '2.weight']);
    expect((l.at(0) as Linear).inFeatures).toBe(1);
    const popped = l.pop(0);
    expect(l.length).toBe(2);
    expect(keys(l)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    popped.dispose();
    const d = new ModuleDict({ enc: new Linear(2, 2), dec: new Linear(2, 1) });
    expect(keys(d)).toEqual(['enc.weight', 'enc.bias', 'dec.weight', 'dec.bias']);
    expect(d.get('dec')).toBeInstanceOf(Linear);
    expect(() => d.get('nope')).toThrow(/no module 'nope' \(keys: enc, dec\)/);
    d.pop('enc').dispose();
    expect(d.keys()).toEqual(['dec']);
    expect(keys(d)).toEqual(['dec.weight', 'dec.bias']);
    l.dispose();
    d.dispose();
  });
  it('ParameterList and ParameterDict register their parameters', () => {
    class Net extends Module {
      ws = new ParameterList([new Parameter(zeros([2])), new Parameter(zeros([3]))]);
      named = new ParameterDict({ scale: new Parameter(ones([1])) });
    }
    const n = new Net();
    expect(keys(n)).toEqual(['ws.0', 'ws.1', 'named.scale']);
    expect(n.ws.at(1).shape).toEqual([3]);
    expect(n.named.get('scale').requiresGrad).toBe(true);
    n.dispose();
  });
});

describe('summary', () => {
  it('tabulates layers, output shapes and parameter counts, and leaves the model as it was', () => {
    const lenet = new Sequential(
      new Conv2d(1, 6, 5, { padding: 2 }),
      new ReLU(),
      new MaxPool2d(2),
      new Conv2d(6, 16, 5),
      new ReLU(),
      new MaxPool2d(2),
      new Flatten(),
      new Linear(400, 120),
      new ReLU(),
      new Linear(120, 84),
      new ReLU(),
      new Linear(84, 10),
    );
    const before = memory().tensors;
    const text = summary(lenet, [1, 1, 28, 28], { print: false });
    expect(memory().tensors).toBe(before);
    expect(text).toMatch(/0 \(Conv2d\)\s+\[1, 6, 28, 28\]\s+156/);
    expect(text).toMatch(/5 \(MaxPool2d\)\s+\[1, 16, 5, 5\]\s+0/);
    expect(text).toMatch(/6 \(Flatten\)\s+\[1, 400\]/);
    expect(text).toMatch(/11 \(Linear\)\s+\[1, 10\]\s+850/);
    expect(text).toContain('Total params: 61,706');
    expect(text).toContain('Trainable params: 61,706');
    expect(lenet.training).toBe(true);
    expect(Object.hasOwn(lenet.at(0), 'forward')).toBe(false);
    lenet.dispose();
  });

  it('shows nested modules indented and tuple outputs', () => {
    class Net extends Module {
      emb = new Embedding(10, 4);
      rnn = new LSTM(4, 6, { batchFirst: true });
      forward(x: Tensor): Tensor {
        return this.rnn.forward(this.emb.forward(x))[0];
      }
    }
    const net = new Net();
    const text = summary(net, [2, 5], { print: false, dtype: 'int32' });
    expect(text).toMatch(/emb \(Embedding\)\s+\[2, 5, 4\]\s+40/);
    expect(text).toMatch(/rnn \(LSTM\)\s+\(\[2, 5, 6\], \(\[1, 2, 6\], \[1, 2, 6\]\)\)\s+288/);
    net.dispose();
  });

  it("the rows sum to the total: the root's own parameters, uncalled owners and tied weights", () => {
    // Parameter counts by hand: Linear(3, 4) 12 + 4; the root's scale 1 and bias 2; a Linear(4, 4)
    // whose weight the root uses directly (never called) 20; the head's weight tied to it (no new count).
    class Net extends Module {
      body = new Linear(3, 4);
      side = new Linear(4, 4);
      head = new Linear(4, 4);
      scale = new Parameter(ones([1]));
      shift = new Parameter(zeros([2]));
      constructor() {
        super();
        this.head.weight = this.side.weight;
      }
      forward(x: Tensor): Tensor {
        return this.head.forward(this.body.forward(x)).mul(this.scale);
      }
    }
    const net = new Net();
    const text = summary(net, [2, 3], { print: false });
    const rows = text
      .split('\n')
      .slice(4, 8)
      .map((line) => line.split(/\s{2,}/))
      .map(([layer, shape, count]) => [layer, shape, Number(count!.replace(/,/g, ''))]);
    expect(rows).toEqual([
      ['(own parameters) (Net)', '—', 3],
      ['body (Linear)', '[2, 4]', 16],
      ['head (Linear)', '[2, 4]', 20],
      ['side (Linear)', '—', 4],
    ]);
    expect(text).toContain('Total params: 43');
    expect(rows.reduce((a, r) => a + (r[2] as number), 0)).toBe(43);
    net.dispose();
  });
});

describe('dropout', () => {
  it('drops a fraction p in training, scales survivors by 1/(1−p), and is the identity in eval', () => {
    const d = new Dropout(0.3, { seed: 7 });
    scope(() => {
      const x = ones([200, 100]);
      const v = d.forward(x).dataSync();
      const zerosCount = v.filter((e) => e === 0).length;
      expect(Math.abs(zerosCount / v.length - 0.3)).toBeLessThan(0.015);
      expect(v.filter((e) => e !== 0).every((e) => Math.abs(e - 1 / 0.7) < 1e-6)).toBe(true);
      d.eval();
      expect(d.forward(x)).toBe(x);
    });
  });

  it('is reproducible from its seed and draws a new mask on every call', () => {
    const a = new Dropout(0.5, { seed: 3 });
    const b = new Dropout(0.5, { seed: 3 });
    scope(() => {
      const x = ones([64]);
      const a1 = a.forward(x).arraySync();
      expect(b.forward(x).arraySync()).toEqual(a1);
      expect(a.forward(x).arraySync()).not.toEqual(a1);
      const g = new Generator(9);
      const c = new Dropout(0.5, { seed: g });
      const c1 = c.forward(x).arraySync();
      expect(new Dropout(0.5, { seed: new Generator(9) }).forward(x).arraySync()).toEqual(c1);
    });
  });

  it('the gradient is masked and scaled like the forward pass', () => {
    const d = new Dropout(0.25, { seed: 1 });
    scope(() => {
      const x = randn([50], { seed: 2 });
      const [y, back] = vjp((t: Tensor) => d.forward(t), x);
      const g = back(ones([50]))[0]!;
      const [xv, yv, gv] = [x.dataSync(), y.dataSync(), g.dataSync()];
      for (let i = 0; i < 50; i++) {
        if (yv[i] === 0) expect(gv[i]).toBe(0);
        else {
          expect(gv[i]).toBeCloseTo(1 / 0.75, 6);
          expect(yv[i]).toBeCloseTo(xv[i]! / 0.75, 6);
        }
      }
    });
  });

  it('Dropout2d zeros whole channels', () => {
    const d = new Dropout2d(0.5, { seed: 4 });
    scope(() => {
      const y = d
        .forward(ones([4, 8, 3, 3]))
        .reshape([32, 9])
        .arraySync() as number[][];
      for (const ch of y) expect(ch.every((e) => e === ch[0])).toBe(true);
      const dropped = y.filter((ch) => ch[0] === 0).length;
      expect(dropped).toBeGreaterThan(4);
      expect(dropped).toBeLessThan(28);
    });
  });

  it('Transformer layers apply dropout in training only, reproducibly from the seed', () => {
    const make = () => new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.3, seed: 21 });
    const a = make();
    const b = make();
    scope(() => {
      const x = randn([5, 2, 8], { seed: 6 });
      const ta = a.forward(x).arraySync();
      expect(b.forward(x).arraySync()).toEqual(ta);
      expect(a.forward(x).arraySync()).not.toEqual(ta);
      a.eval();
      b.eval();
      const ea = a.forward(x).arraySync();
      expect(ea).not.toEqual(ta);
      expect(b.forward(x).arraySync()).toEqual(ea);
    });
    a.dispose();
    b.dispose();
  });

  it('RNN dropout between layers acts only in training, reproducibly', () => {
    const make = () => new RNN(3, 5, { numLayers: 2, dropout: 0.5, seed: 11 });
    const a = make();
    const b = make();
    scope(() => {
      const x = randn([4, 2, 3], { seed: 5 });
      const [ta] = a.forward(x);
      const [tb] = b.forward(x);
      expect(ta.arraySync()).toEqual(tb.arraySync());
      a.eval();
      const [ea] = a.forward(x);
      expect(ea.arraySync()).not.toEqual(ta.arraySync());
    });
    a.dispose();
    b.dispose();
  });
});

describe('layer behaviour', () => {
  it('BatchNorm counts batches, updates running stats only in training, and uses them in eval', () => {
    const bn = new BatchNorm1d(2, { momentum: 0.5 });
    scope(() => {
      const x = tensor([
        [1, 10],
        [3, 20],
      ]);
      bn.forward(x);
      expect(bn.numBatchesTracked!.item()).toBe(1);
      expect(bn.runningMean!.arraySync()).toEqual([1, 7.5]);
      // unbiased batch variance 2 and 50
      expect(bn.runningVar!.arraySync()).toEqual([1.5, 25.5]);
      bn.eval();
      const y = bn.forward(x);
      expect(bn.numBatchesTracked!.item()).toBe(1);
      const want = [(1 - 1) / Math.sqrt(1.5 + 1e-5), (10 - 7.5) / Math.sqrt(25.5 + 1e-5)];
      expect(y.arraySync()[0 as never]).toEqual(want.map((v) => Math.fround(v)));
    });
    expect(() => new BatchNorm1d(2).forward(tensor([[1, 2]]))).toThrow(/more than 1 value per channel/);
    bn.dispose();
  });

  it('Embedding: padding row starts at zero; fromPretrained is frozen unless asked', () => {
    const e = new Embedding(5, 3, { paddingIdx: 2, seed: 1 });
    expect((e.weight.arraySync() as number[][])[2]).toEqual([0, 0, 0]);
    const pre = Embedding.fromPretrained(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    expect(pre.weight.requiresGrad).toBe(false);
    expect(Embedding.fromPretrained(tensor([[1, 2]]), { freeze: false }).weight.requiresGrad).toBe(true);
    scope(() => {
      expect(pre.forward(tensor([1, 0, 1], { dtype: 'int32' })).arraySync()).toEqual([
        [3, 4],
        [1, 2],
        [3, 4],
      ]);
    });
    e.dispose();
    pre.dispose();
  });

  it('causal masks: generateSquareSubsequentMask and isCausal agree', () => {
    const m = generateSquareSubsequentMask(3).arraySync();
    expect(m).toEqual([
      [0, -Infinity, -Infinity],
      [0, 0, -Infinity],
      [0, 0, 0],
    ]);
    const mha = new MultiheadAttention(4, 2, { seed: 1 });
    scope(() => {
      const x = randn([3, 1, 4], { seed: 2 });
      const [y1, w1] = mha.forward(x, x, x, { isCausal: true });
      const [y2, w2] = mha.forward(x, x, x, { attnMask: generateSquareSubsequentMask(3) });
      expect(y1.arraySync()).toEqual(y2.arraySync());
      expect(w1!.arraySync()).toEqual(w2!.arraySync());
      // The first query attends only to the first key.
      expect((w1!.arraySync() as number[][][])[0]![0]).toEqual([1, 0, 0]);
    });
    mha.dispose();
  });

  it('speaks to the user when shapes are wrong', () => {
    const fc = new Linear(3, 2);
    expect(() => fc.forward(zeros([4, 5]))).toThrow(
      'Linear: input has 5 features in its last dim (shape [4,5]) but the layer expects 3',
    );
    const lstm = new LSTM(3, 2);
    expect(() => lstm.forward(zeros([4, 2, 5]))).toThrow(/LSTM: input has 5 features .* expects 3/);
    expect(() => lstm.forward(zeros([4, 2, 3]), [zeros([2, 2, 2]), zeros([1, 2, 2])])).toThrow(
      /h0 must be \[1,2,2\]/,
    );
    expect(() => interpolate(zeros([1, 1, 4]), { size: 3, mode: 'bilinear' })).toThrow(/needs a 4-D input/);
    expect(() => new MultiheadAttention(6, 4)).toThrow(/divisible by numHeads/);
    expect(() => crossEntropy(zeros([2, 3]), tensor([0, 3], { dtype: 'int32' }))).toThrow(
      /index 3 is out of range for dim 1 of size 3/,
    );
    // Float class indices: the error says they must be int32, for every layout of the class dim.
    for (const [input, target] of [
      [[2, 3], [2]],
      [[3], []],
      [
        [2, 3, 4, 5],
        [2, 4, 5],
      ],
      [[1, 1], [1]],
    ] as const)
      expect(() => crossEntropy(zeros(input), zeros(target))).toThrow(
        `crossEntropy: a target of shape [${target.join(',')}] holds class indices and must be int32, got float32`,
      );
    // Probabilities of the wrong shape keep the shape message.
    expect(() => crossEntropy(zeros([2, 3]), zeros([2, 4]))).toThrow(
      /target shape \[2,4\] must match the input shape \[2,3\]/,
    );
    fc.dispose();
    lstm.dispose();
  });
});

describe('training', () => {
  it('memory stays flat over training steps of a model with conv, batch norm, LSTM and attention', () => {
    class Net extends Module {
      conv = new Conv2d(1, 4, 3, { padding: 1, seed: 1 });
      bn = new BatchNorm1d(4);
      lstm = new LSTM(4, 8, { batchFirst: true, seed: 2 });
      attn = new MultiheadAttention(8, 2, { batchFirst: true, dropout: 0.1, seed: 3 });
      head = new Linear(8, 3, { seed: 4 });
      drop = new Dropout(0.2, { seed: 5 });
      forward(x: Tensor): Tensor {
        const f = this.conv.forward(x).relu().mean(2); // [N, 4, W]
        const s = this.bn.forward(f).transpose(1, 2); // [N, W, 4]
        const [h] = this.lstm.forward(s);
        const [a] = this.attn.forward(h, h, h, { isCausal: true });
        return this.head.forward(this.drop.forward(a.mean(1)));
      }
    }
    const net = new Net();
    const x = randn([6, 1, 5, 7], { seed: 8 });
    const y = randint(0, 3, [6], { seed: 9 });
    const losses: number[] = [];
    const counts: number[] = [];
    for (let step = 0; step < 6; step++) {
      scope(() => {
        const loss = crossEntropy(net.forward(x), y);
        loss.backward();
        losses.push(loss.item());
        noGrad(() => {
          for (const p of net.parameters()) p.assign(p.sub(p.grad!.mul(0.1)));
        });
        net.zeroGrad();
      });
      counts.push(memory().tensors);
    }
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(losses[5]!).toBeLessThan(losses[0]!);
    x.dispose();
    y.dispose();
    net.dispose();
  });
});
