import type { Conv2dAttrs, Pool2dAttrs } from '@myelin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WasmBackend, wasmBackend } from '../src/index.js';
import { cpu, expectClose, f32, run } from './helpers.js';

/*
 * The tiled, packed and threaded paths of the big kernels against the CPU backend (the reference
 * implementation), on odd sizes that leave partial register tiles, partial cache blocks and uneven
 * thread shares, with every transpose and every conv option. One and two threads, each on the
 * plain and the relaxed-SIMD build (fused multiply-adds; vitest.config.ts runs Node with
 * --experimental-wasm-relaxed-simd, so the build is really taken: checked below).
 */

for (const [threads, relaxedSimd] of [
  [1, false],
  [2, false],
  [1, true],
  [2, true],
] as const) {
  const label = `${threads} thread${threads > 1 ? 's' : ''}${relaxedSimd ? ', relaxed SIMD' : ''}`;
  describe(`wasm kernels against the CPU backend (${label})`, () => {
    let wasm: WasmBackend;
    beforeAll(async () => {
      wasm = await wasmBackend({ threads, relaxedSimd });
      expect(wasm.relaxedSimd).toBe(relaxedSimd);
    });
    afterAll(() => {
      // The big cases really ran on the workers (and the small ones did not need them).
      if (threads > 1) expect(wasm.runtime.pool!.jobs).toBeGreaterThan(10);
      wasm.dispose();
    });

    const matmulCases: [m: number, k: number, n: number][] = [
      [1, 1, 1],
      [7, 13, 5],
      [4, 8, 8],
      [65, 129, 67],
      [1, 300, 257],
      [300, 257, 1],
      [513, 257, 129],
      // Split over the threads: few rows (column tiles, k in five blocks), and bands of rows with
      // a ragged last band and last strip.
      [21, 1100, 300],
      [130, 784, 250],
    ];
    for (const [m, k, n] of matmulCases) {
      for (const [ta, tb] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const) {
        it(`matmul ${m}×${k}×${n}${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''} matches`, () => {
          const a = f32(ta ? [k, m] : [m, k], 3);
          const b = f32(tb ? [n, k] : [k, n], 5);
          const attrs = { transposeA: ta, transposeB: tb };
          const want = run(cpu, 'MatMul', [a, b], attrs, [{ shape: [m, n] }])[0]!;
          const got = run(wasm, 'MatMul', [a, b], attrs, [{ shape: [m, n] }])[0]!;
          expectClose(got, want, 1e-4, 1e-4 * Math.sqrt(k));
        });
      }
    }

    it('batched matmul with a broadcast batch (3×1 · 1×4) and fewer products than threads', () => {
      const a = f32([3, 1, 17, 33], 7);
      const b = f32([1, 4, 33, 9], 11);
      const attrs = { transposeA: false, transposeB: false };
      const want = run(cpu, 'MatMul', [a, b], attrs, [{ shape: [3, 4, 17, 9] }])[0]!;
      expectClose(run(wasm, 'MatMul', [a, b], attrs, [{ shape: [3, 4, 17, 9] }])[0]!, want);
      const one = f32([1, 70, 90], 2);
      const two = f32([1, 90, 80], 4);
      const w1 = run(cpu, 'MatMul', [one, two], attrs, [{ shape: [1, 70, 80] }])[0]!;
      expectClose(run(wasm, 'MatMul', [one, two], attrs, [{ shape: [1, 70, 80] }])[0]!, w1, 1e-4, 1e-3);
    });

    it('batched matmul folding the batch into rows (b without batch)', () => {
      const a = f32([5, 37, 41], 8);
      const b = f32([41, 23], 9);
      const attrs = { transposeA: false, transposeB: true };
      const bt = f32([23, 41], 9);
      const want = run(cpu, 'MatMul', [a, bt], attrs, [{ shape: [5, 37, 23] }])[0]!;
      expectClose(run(wasm, 'MatMul', [a, bt], attrs, [{ shape: [5, 37, 23] }])[0]!, want, 1e-4, 1e-3);
      const plain = { transposeA: false, transposeB: false };
      const w2 = run(cpu, 'MatMul', [a, b], plain, [{ shape: [5, 37, 23] }])[0]!;
      expectClose(run(wasm, 'MatMul', [a, b], plain, [{ shape: [5, 37, 23] }])[0]!, w2, 1e-4, 1e-3);
    });

    const convCases: [string, number[], number[], Conv2dAttrs][] = [
      ['3×3 same, 2 images', [2, 3, 9, 11], [5, 3, 3, 3], conv(1, [1, 1, 1, 1], 1, 1)],
      ['stride 2, asymmetric pads', [3, 4, 13, 10], [6, 4, 3, 2], conv(2, [2, 0, 1, 3], 1, 1)],
      ['dilation 2, groups 2', [2, 4, 12, 12], [6, 2, 3, 3], conv(1, [2, 2, 2, 2], 2, 2)],
      ['depthwise, stride 3', [1, 6, 17, 15], [6, 1, 5, 4], conv(3, [1, 2, 0, 1], 1, 6)],
      ['pointwise 1×1', [4, 8, 7, 9], [12, 8, 1, 1], conv(1, [0, 0, 0, 0], 1, 1)],
      ['7×7 stride 2 on one image', [1, 3, 40, 38], [16, 3, 7, 7], conv(2, [3, 3, 3, 3], 1, 1)],
      ['LeNet conv2 (batch 8)', [8, 6, 14, 14], [16, 6, 5, 5], conv(1, [0, 0, 0, 0], 1, 1)],
      // Big enough to be split over the threads (≥ 2^22 multiply-adds).
      ['3×3 same, threaded', [4, 16, 32, 32], [32, 16, 3, 3], conv(1, [1, 1, 1, 1], 1, 1)],
      ['stride 2, groups 2, threaded', [6, 32, 33, 31], [32, 16, 3, 3], conv(2, [1, 0, 2, 1], 1, 2)],
      ['7×7 stride 2 on one image, threaded', [1, 3, 90, 84], [64, 3, 7, 7], conv(2, [3, 3, 3, 3], 1, 1)],
      // Winograd F(2×2, 3×3) (forward, input and, from 48 tiles per image, filter gradient): odd
      // output sizes (half tiles), filter counts off the 4-channel strips, every padding up to 2,
      // tile groups straddling tile rows.
      [
        'Winograd: 3×3 unpadded, odd sizes, 13 filters',
        [2, 9, 17, 13],
        [13, 9, 3, 3],
        conv(1, [0, 0, 0, 0], 1, 1),
      ],
      ['Winograd: 3×3, pads 2/0/1/2', [3, 12, 14, 13], [9, 12, 3, 3], conv(1, [2, 0, 1, 2], 1, 1)],
      ['Winograd: 3×3 same on 2×2 images', [5, 8, 2, 2], [8, 8, 3, 3], conv(1, [1, 1, 1, 1], 1, 1)],
      [
        'Winograd: 3×3 same, odd-width rows, threaded',
        [3, 16, 9, 45],
        [20, 16, 3, 3],
        conv(1, [1, 1, 1, 1], 1, 1),
      ],
    ];
    for (const [name, xs, ws, attrs] of convCases) {
      const [sh, sw] = attrs.stride;
      const [dh, dw] = attrs.dilation;
      const oh = Math.floor((xs[2]! + attrs.pad[0] + attrs.pad[1] - dh * (ws[2]! - 1) - 1) / sh) + 1;
      const ow = Math.floor((xs[3]! + attrs.pad[2] + attrs.pad[3] - dw * (ws[3]! - 1) - 1) / sw) + 1;
      const ys = [xs[0]!, ws[0]!, oh, ow];
      it(`conv2d ${name}: forward, input and filter gradients match`, () => {
        const x = f32(xs, 21);
        const w = f32(ws, 22);
        const dy = f32(ys, 23);
        const y = run(wasm, 'Conv2d', [x, w], attrs, [{ shape: ys }])[0]!;
        expectClose(y, run(cpu, 'Conv2d', [x, w], attrs, [{ shape: ys }])[0]!);
        const dx = run(wasm, 'Conv2dBackpropInput', [dy, w], attrs, [{ shape: xs }])[0]!;
        expectClose(dx, run(cpu, 'Conv2dBackpropInput', [dy, w], attrs, [{ shape: xs }])[0]!);
        const dwv = run(wasm, 'Conv2dBackpropFilter', [x, dy], attrs, [{ shape: ws }])[0]!;
        expectClose(dwv, run(cpu, 'Conv2dBackpropFilter', [x, dy], attrs, [{ shape: ws }])[0]!, 1e-4, 1e-3);
      });
    }

    const poolCases: [string, number[], Pool2dAttrs][] = [
      ['2×2 stride 2', [3, 4, 28, 28], pool([2, 2], [2, 2], [0, 0, 0, 0], [1, 1])],
      ['3×3 stride 1 padded', [2, 3, 13, 17], pool([3, 3], [1, 1], [1, 1, 1, 1], [1, 1])],
      [
        '3×2 stride (2, 3), dilation 2, asymmetric pads',
        [2, 2, 15, 19],
        pool([3, 2], [2, 3], [1, 0, 0, 1], [2, 2]),
      ],
      ['5×5 stride 2 on one plane', [1, 1, 33, 41], pool([5, 5], [2, 2], [2, 2, 2, 2], [1, 1])],
      ['3×3 stride 1 padded, threaded', [8, 16, 64, 64], pool([3, 3], [1, 1], [1, 1, 1, 1], [1, 1])],
    ];
    for (const [name, xs, attrs] of poolCases) {
      const [kh, kw] = attrs.kernel;
      const oh =
        Math.floor(
          (xs[2]! + attrs.pad[0] + attrs.pad[1] - attrs.dilation[0] * (kh - 1) - 1) / attrs.stride[0],
        ) + 1;
      const ow =
        Math.floor(
          (xs[3]! + attrs.pad[2] + attrs.pad[3] - attrs.dilation[1] * (kw - 1) - 1) / attrs.stride[1],
        ) + 1;
      const ys = [xs[0]!, xs[1]!, oh, ow];
      it(`max and average pooling ${name}: forward and gradients match`, () => {
        const x = f32(xs, 31);
        const dy = f32(ys, 32);
        expectClose(
          run(wasm, 'MaxPool2d', [x], attrs, [{ shape: ys }])[0]!,
          run(cpu, 'MaxPool2d', [x], attrs, [{ shape: ys }])[0]!,
        );
        expectClose(
          run(wasm, 'MaxPool2dGrad', [dy, x], attrs, [{ shape: xs }])[0]!,
          run(cpu, 'MaxPool2dGrad', [dy, x], attrs, [{ shape: xs }])[0]!,
        );
        for (const countIncludePad of [true, false]) {
          const avg = { ...attrs, countIncludePad };
          expectClose(
            run(wasm, 'AvgPool2d', [x], avg, [{ shape: ys }])[0]!,
            run(cpu, 'AvgPool2d', [x], avg, [{ shape: ys }])[0]!,
          );
          expectClose(
            run(wasm, 'AvgPool2dGrad', [dy], avg, [{ shape: xs }])[0]!,
            run(cpu, 'AvgPool2dGrad', [dy], avg, [{ shape: xs }])[0]!,
          );
        }
      });
    }

    it('max-pool gradient goes to the first maximum of a window with ties', () => {
      const x = {
        values: new Float32Array(4 * 4 * 2 * 4).fill(1),
        shape: [2, 4, 4, 4],
        dtype: 'float32' as const,
      };
      const attrs = pool([2, 2], [2, 2], [0, 0, 0, 0], [1, 1]);
      const dy = f32([2, 4, 2, 2], 3);
      expectClose(
        run(wasm, 'MaxPool2dGrad', [dy, x], attrs, [{ shape: x.shape }])[0]!,
        run(cpu, 'MaxPool2dGrad', [dy, x], attrs, [{ shape: x.shape }])[0]!,
        0,
        0,
      );
    });

    it('elementwise ops over long, broadcast and strided runs match', () => {
      const a = f32([33, 65], 41);
      const b = f32([65], 42);
      const col = f32([33, 1], 43);
      for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Maximum', 'Minimum', 'Pow', 'Atan2'] as const) {
        for (const rhs of [a, b, col]) {
          const want = run(cpu, op, [a, rhs], {}, [{ shape: [33, 65] }])[0]!;
          expectClose(run(wasm, op, [a, rhs], {}, [{ shape: [33, 65] }])[0]!, want, 1e-6, 1e-6);
        }
      }
      for (const op of ['Exp', 'Sigmoid', 'Tanh', 'Relu', 'Silu', 'Log1p', 'Erf', 'Round'] as const) {
        const x = { ...f32([1027], 44), values: f32([1027], 44).values.map((v) => v * 30) };
        expectClose(
          run(wasm, op, [x], {}, [{ shape: [1027] }])[0]!,
          run(cpu, op, [x], {}, [{ shape: [1027] }])[0]!,
          3e-6,
          1e-30,
        );
      }
    });

    it('long elementwise ops (split over the threads in chunks) match', () => {
      const n = 200_003;
      const a = f32([n], 61);
      const b = f32([n], 62);
      const s = f32([], 63);
      for (const op of ['Add', 'Mul', 'Div', 'Maximum', 'Greater'] as const) {
        const dtype = op === 'Greater' ? 'bool' : 'float32';
        for (const [x, y] of [
          [a, b],
          [a, s],
          [s, b],
        ] as const) {
          const want = run(cpu, op, [x, y], {}, [{ shape: [n], dtype }])[0]!;
          expectClose(run(wasm, op, [x, y], {}, [{ shape: [n], dtype }])[0]!, want, 1e-6, 1e-6);
        }
      }
      for (const op of ['Exp', 'Relu', 'Tanh'] as const) {
        expectClose(
          run(wasm, op, [a], {}, [{ shape: [n] }])[0]!,
          run(cpu, op, [a], {}, [{ shape: [n] }])[0]!,
          3e-6,
          1e-7,
        );
      }
      const leaky = { alpha: 0.1 };
      expectClose(
        run(wasm, 'LeakyRelu', [a], leaky, [{ shape: [n] }])[0]!,
        run(cpu, 'LeakyRelu', [a], leaky, [{ shape: [n] }])[0]!,
        1e-6,
        0,
      );
    });

    it('reductions and softmax over inner and outer axes match', () => {
      const x = f32([7, 130, 9], 51);
      for (const axes of [[0], [1], [2], [0, 2], [0, 1, 2]]) {
        const shape = [7, 130, 9].filter((_, d) => !axes.includes(d));
        for (const op of ['Sum', 'Max', 'Min'] as const) {
          expectClose(
            run(wasm, op, [x], { axes }, [{ shape }])[0]!,
            run(cpu, op, [x], { axes }, [{ shape }])[0]!,
            1e-5,
            1e-5,
          );
        }
      }
      for (const axis of [0, 1, 2]) {
        for (const op of ['Softmax', 'LogSoftmax'] as const) {
          expectClose(
            run(wasm, op, [x], { axis }, [{ shape: [7, 130, 9] }])[0]!,
            run(cpu, op, [x], { axis }, [{ shape: [7, 130, 9] }])[0]!,
            1e-5,
            1e-6,
          );
        }
      }
    });

    it('fused LayerNorm (rows of 1, 3, 4, 130) and BiasAct (every activation, inner and middle axes) match', () => {
      for (const size of [1, 3, 4, 130]) {
        const x = f32([6, size], 61 + size);
        for (const eps of [1e-5, 0.1]) {
          expectClose(
            run(wasm, 'LayerNorm', [x], { size, eps }, [{ shape: [6, size] }])[0]!,
            run(cpu, 'LayerNorm', [x], { size, eps }, [{ shape: [6, size] }])[0]!,
            1e-5,
            1e-5,
          );
        }
      }
      const x = f32([5, 7, 9], 71);
      for (const activation of ['none', 'relu', 'gelu', 'tanh', 'sigmoid', 'silu'] as const) {
        for (const [axis, len] of [
          [2, 9],
          [1, 7],
          [0, 5],
        ] as const) {
          const b = f32([len], 80 + len);
          expectClose(
            run(wasm, 'BiasAct', [x, b], { axis, activation }, [{ shape: [5, 7, 9] }])[0]!,
            run(cpu, 'BiasAct', [x, b], { axis, activation }, [{ shape: [5, 7, 9] }])[0]!,
            1e-5,
            1e-6,
          );
        }
      }
    });

    it('Slice and Pad over leading dims (whole rows copied and filled as runs) match', () => {
      const x = f32([4, 3, 5], 91);
      const slices: [number[], number[], number[]][] = [
        // begin, step, output shape
        [
          [1, 0, 0],
          [1, 1, 1],
          [2, 3, 5],
        ], // consecutive rows of dim 0: one run
        [
          [0, 1, 0],
          [1, 1, 1],
          [4, 2, 5],
        ], // runs broken at every dim-0 step
        [
          [3, 0, 0],
          [-1, 1, 1],
          [4, 3, 5],
        ], // reversed dim 0: rows one by one
        [
          [0, 2, 0],
          [2, -1, 1],
          [2, 3, 5],
        ], // strided and reversed
        [
          [1, 0, 1],
          [1, 1, 1],
          [2, 3, 3],
        ], // partial rows: no merging
      ];
      for (const [begin, step, shape] of slices) {
        expectClose(
          run(wasm, 'Slice', [x], { begin, step }, [{ shape }])[0]!,
          run(cpu, 'Slice', [x], { begin, step }, [{ shape }])[0]!,
          0,
          0,
        );
      }
      const pads: [number[], 'constant' | 'reflect' | 'replicate', number[]][] = [
        [[2, 3, 0, 0, 0, 0], 'constant', [9, 3, 5]], // fill run, copy run, fill run
        [[0, 0, 1, 2, 0, 0], 'constant', [4, 6, 5]], // alternating runs per dim-0 index
        [[1, 1, 1, 0, 2, 1], 'constant', [6, 4, 8]], // padded last dim: fills merge, copies do not
        [[2, 1, 1, 1, 0, 0], 'reflect', [7, 5, 5]], // rows read out of order
        [[1, 2, 0, 0, 0, 0], 'replicate', [7, 3, 5]],
      ];
      for (const [p, mode, shape] of pads) {
        const attrs = { pads: p, mode, value: 2.5 };
        expectClose(
          run(wasm, 'Pad', [x], attrs, [{ shape }])[0]!,
          run(cpu, 'Pad', [x], attrs, [{ shape }])[0]!,
          0,
          0,
        );
      }
    });
  });
}

function conv(
  stride: number,
  pad: [number, number, number, number],
  dilation: number,
  groups: number,
): Conv2dAttrs {
  return { stride: [stride, stride], pad, dilation: [dilation, dilation], groups };
}

function pool(
  kernel: [number, number],
  stride: [number, number],
  pad: [number, number, number, number],
  dilation: [number, number],
): Pool2dAttrs {
  return { kernel, stride, pad, dilation };
}
