import * as core from '@myelin/core';
import { METHOD_NAMES, METHOD_TABLE, Tensor, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';

/*
 * The op table (issue #19): the function exports, the Tensor methods and their types all come from
 * `METHOD_TABLE` in core's ops/index.ts. These tests fail when a method is missing at run time,
 * which the derived types alone cannot catch.
 */

const proto = Tensor.prototype as unknown as Record<string, unknown>;
const exports = core as unknown as Record<string, unknown>;

describe('the op table', () => {
  it('puts every chainable op on Tensor.prototype', () => {
    const missing = METHOD_NAMES.filter((name) => typeof proto[name] !== 'function');
    expect(missing).toEqual([]);
  });

  it('exports every chainable op as a function, the same function the table holds', () => {
    for (const name of METHOD_NAMES) {
      expect(typeof exports[name], name).toBe('function');
      expect(exports[name], name).toBe(METHOD_TABLE[name]);
    }
  });

  it('keeps the 114 methods of the hand-kept lists it replaced', () => {
    // The count of `declare` lines in tensor.ts and names in methods.ts before the table (618ebe2).
    expect(METHOD_NAMES.length).toBe(114);
    for (const name of ['add', 'relu', 'matmul', 'reshape', 'softmax', 'logSoftmax', 'oneHot', 'cast'])
      expect(METHOD_NAMES).toContain(name);
  });

  it('a method is its function with the tensor first', () => {
    const x = tensor([-2, -0.5, 0, 1.5]);
    expect(Array.from(x.relu().dataSync())).toEqual([0, 0, 0, 1.5]);
    expect(Array.from(x.add(1).dataSync())).toEqual([-1, 0.5, 1, 2.5]);
    expect(Array.from(x.clip(-1, 1).dataSync())).toEqual([-1, -0.5, 0, 1]);
    expect(x.reshape([2, 2]).shape).toEqual([2, 2]);
    expect(Array.from(x.leakyRelu(0.5).dataSync())).toEqual([-1, -0.25, 0, 1.5]);
    const [values] = x.topk(2);
    expect(Array.from(values!.dataSync())).toEqual([1.5, 0]);
  });

  it('backward and detach stay methods beside the table', () => {
    expect(typeof proto.backward).toBe('function');
    expect(typeof proto.detach).toBe('function');
  });
});
