import { COMPOSITES, PRIMITIVES } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { CpuBackend, cpuBackend } from '../src/index.js';

describe('CpuBackend storage', () => {
  it('is named cpu and supports float32, int32 and bool', () => {
    const cpu = new CpuBackend();
    expect(cpu.name).toBe('cpu');
    expect(cpu.supports('float32') && cpu.supports('int32') && cpu.supports('bool')).toBe(true);
    expect(cpu.supports('float64' as never)).toBe(false);
  });

  it('implements every primitive and every composite kernel', () => {
    const cpu = cpuBackend();
    const missing = [...PRIMITIVES, ...COMPOSITES].filter((k) => typeof cpu.kernels[k] !== 'function');
    expect(missing).toEqual([]);
  });

  it('write stores a copy; read and readSync return the stored values', async () => {
    const cpu = cpuBackend();
    const src = new Float32Array([1, 2, 3]);
    const id = cpu.write(src, 'float32');
    src[0] = 99;
    expect([...cpu.readSync(id)]).toEqual([1, 2, 3]);
    expect([...(await cpu.read(id))]).toEqual([1, 2, 3]);
    expect(cpu.readSync(id)).toBeInstanceOf(Float32Array);
  });

  it('write converts values of another element type as a cast would', () => {
    const cpu = cpuBackend();
    expect(cpu.readSync(cpu.write(new Float32Array([0, 2, Number.NaN]), 'bool'))).toEqual(
      new Uint8Array([0, 1, 1]),
    );
    expect(cpu.readSync(cpu.write(new Float32Array([-1.7, 2.9]), 'int32'))).toEqual(new Int32Array([-1, 2]));
  });

  it('memory counts live handles and bytes, including kernel outputs; free is idempotent', () => {
    const cpu = cpuBackend();
    const a = cpu.write(new Float32Array(4), 'float32');
    const b = cpu.write(new Uint8Array(3), 'bool');
    expect(cpu.memory()).toEqual({ handles: 2, bytes: 19 });
    const [y] = cpu.kernels.Neg!({
      inputs: [{ dataId: a, shape: [4], dtype: 'float32' }],
      attrs: {},
      outputs: [{ shape: [4], dtype: 'float32' }],
    });
    expect(cpu.memory()).toEqual({ handles: 3, bytes: 35 });
    cpu.free(a);
    cpu.free(a);
    expect(cpu.memory()).toEqual({ handles: 2, bytes: 19 });
    expect(() => cpu.readSync(a)).toThrow(/freed/);
    cpu.free(b);
    cpu.free(y!);
    expect(cpu.memory()).toEqual({ handles: 0, bytes: 0 });
  });

  it('dispose releases every handle', () => {
    const cpu = cpuBackend();
    const a = cpu.write(new Int32Array(8), 'int32');
    cpu.dispose();
    expect(cpu.memory()).toEqual({ handles: 0, bytes: 0 });
    expect(() => cpu.readSync(a)).toThrow(/freed/);
  });

  it('rejects handles made by another backend instance type', () => {
    const cpu = cpuBackend();
    expect(() => cpu.readSync({})).toThrow(/did not create/);
  });
});
