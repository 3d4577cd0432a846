// Local timing of memory-bound kernels (not shipped; run after `pnpm build`):
//   node packages/backend-cpu/bench-local/ops.mjs
import { cpuBackend } from '../dist/index.js';

const cpu = cpuBackend();

function tensor(shape, dtype = 'float32') {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = dtype === 'float32' ? new Float32Array(size) : new Int32Array(size);
  for (let i = 0; i < size; i++)
    values[i] = dtype === 'float32' ? Math.random() * 2 - 1 : (Math.random() * 100) | 0;
  return { dataId: cpu.write(values, dtype), shape, dtype };
}

function bench(label, kernel, inputs, attrs, outputs) {
  const call = () => {
    for (const id of cpu.kernels[kernel]({ inputs, attrs, outputs })) cpu.free(id);
  };
  for (let i = 0; i < 3; i++) call();
  const samples = [];
  const start = performance.now();
  while (performance.now() - start < 500) {
    const t = performance.now();
    call();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  console.log(`${label.padEnd(44)} ${samples[samples.length >> 1].toFixed(2)} ms`);
}

const f = (shape) => ({ shape, dtype: 'float32' });
const M = [1000, 1000];
const a = tensor(M);
const b = tensor(M);
const row = tensor([1000]);
const col = tensor([1000, 1]);
bench('Add [1000,1000] + [1000,1000]', 'Add', [a, b], {}, [f(M)]);
bench('Add [1000,1000] + [1000]', 'Add', [a, row], {}, [f(M)]);
bench('Mul [1000,1000] * [1000,1]', 'Mul', [a, col], {}, [f(M)]);
bench('Exp [1000,1000]', 'Exp', [a], {}, [f(M)]);
bench('Relu [1000,1000]', 'Relu', [a], {}, [f(M)]);
bench('Gelu [1000,1000]', 'Gelu', [a], { approximate: 'none' }, [f(M)]);
bench('Sum [1000,1000] axis 1', 'Sum', [a], { axes: [1] }, [f([1000])]);
bench('Sum [1000,1000] axis 0', 'Sum', [a], { axes: [0] }, [f([1000])]);
bench('Max [1000,1000] all', 'Max', [a], { axes: [0, 1] }, [f([])]);
bench('Softmax [1000,1000] axis 1', 'Softmax', [a], { axis: 1 }, [f(M)]);
bench('Softmax [1000,1000] axis 0', 'Softmax', [a], { axis: 0 }, [f(M)]);
bench('Transpose [1000,1000]', 'Transpose', [a], { perm: [1, 0] }, [f(M)]);
const t4 = tensor([32, 64, 16, 32]);
bench('Transpose [32,64,16,32] perm [0,2,1,3]', 'Transpose', [t4], { perm: [0, 2, 1, 3] }, [
  f([32, 16, 64, 32]),
]);
bench('Slice [1000,1000] step 2', 'Slice', [a], { begin: [0, 0], step: [2, 2] }, [f([500, 500])]);
bench('Concat 2×[1000,1000] axis 1', 'Concat', [a, b], { axis: 1 }, [f([1000, 2000])]);
bench('Where [1000,1000]', 'Where', [tensor(M, 'int32'), a, b], {}, [f(M)]);
bench('Cast f32→i32 [1000,1000]', 'Cast', [a], {}, [{ shape: M, dtype: 'int32' }]);
const img = tensor([32, 32, 28, 28]);
const pool = { kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0], dilation: [1, 1] };
bench('MaxPool2d [32,32,28,28] 2×2', 'MaxPool2d', [img], pool, [f([32, 32, 14, 14])]);
bench('AvgPool2d [32,32,28,28] 2×2', 'AvgPool2d', [img], { ...pool, countIncludePad: true }, [
  f([32, 32, 14, 14]),
]);
bench('Sort [1000,1000] axis 1', 'Sort', [a], { axis: 1, descending: false }, [
  f(M),
  { shape: M, dtype: 'int32' },
]);
bench('TopK [1000,1000] k=5', 'TopK', [a], { k: 5, largest: true }, [
  f([1000, 5]),
  { shape: [1000, 5], dtype: 'int32' },
]);
bench('Cumsum [1000,1000] axis 1', 'Cumsum', [a], { axis: 1, reverse: false }, [f(M)]);
const idx = tensor([1000], 'int32');
bench('Gather [1000,1000] axis 1', 'Gather', [a, { ...tensor(M, 'int32') }], { axis: 1 }, [f(M)]);
bench('IndexSelect [1000,1000] 1000 rows', 'IndexSelect', [a, idx], { axis: 0 }, [f(M)]);
