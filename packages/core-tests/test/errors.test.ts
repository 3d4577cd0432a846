import { concat, conv2d, gather, matmul, ones, reshape, slice, sum, tensor, zeros } from '@myelin/core';
import { describe, expect, it } from 'vitest';

describe('bad input gets an error naming the op, what it got and what it expected', () => {
  it('broadcast mismatch', () => {
    expect(() => tensor([[1, 2, 3]]).add(tensor([[1, 2]]))).toThrow(
      /add: shapes \[1,3\] and \[1,2\] cannot be broadcast/,
    );
  });
  it('matmul inner dims', () => {
    expect(() => matmul(ones([2, 3]), ones([4, 5]))).toThrow(
      /matmul: inner dimensions differ: \[2,3\] × \[4,5\] \(3 vs 4\)/,
    );
  });
  it('conv2d channels', () => {
    expect(() => conv2d(ones([1, 3, 8, 8]), ones([6, 1, 5, 5]))).toThrow(
      /conv2d: input has 3 channels but weight expects 1 \(weight shape \[6,1,5,5\]/,
    );
  });
  it('bad axis', () => {
    expect(() => sum(ones([2, 3]), 2)).toThrow(/sum: axis 2 is out of range for a tensor of rank 2/);
  });
  it('bad reshape', () => {
    expect(() => reshape(ones([2, 3]), [4, 2])).toThrow(
      /reshape: cannot reshape \[2,3\] \(6 elements\) to \[4,2\]/,
    );
  });
  it('negative or non-integer sizes', () => {
    expect(() => zeros([2, -1])).toThrow(/zeros: shape \[2,-1\] must hold non-negative integers/);
    expect(() => zeros([1.5])).toThrow(/non-negative integers/);
  });
  it('index out of range', () => {
    expect(() => slice(ones([3]), 5)).toThrow(/slice: index 5 is out of range for dim 0 of size 3/);
    expect(() => gather(ones([3]), 0, tensor([3], { dtype: 'int32' }))).toThrow(
      /gather: index 3 is out of range/,
    );
  });
  it('float index', () => {
    expect(() => gather(ones([3]), 0, tensor([1]))).toThrow(/gather: index must be int32, got float32/);
  });
  it('concat shape mismatch', () => {
    expect(() => concat([ones([2, 3]), ones([2, 4])], 0)).toThrow(
      /concat: tensor 1 has shape \[2,4\] but tensor 0 has \[2,3\]/,
    );
  });
  it('ragged nested arrays', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged/);
  });
  it('requiresGrad on an int tensor', () => {
    const t = tensor([1, 2], { dtype: 'int32' });
    expect(() => {
      t.requiresGrad = true;
    }).toThrow(/only float32 tensors can require grad, got int32/);
  });
});
