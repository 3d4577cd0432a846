import { type LeakInfo, liveTensors, memory, setDebug, tensor } from '@myelin/core';
import { afterEach, describe, expect, it } from 'vitest';

const gc = (globalThis as { gc?: () => void }).gc;

afterEach(() => setDebug(false));

describe('debug mode and the FinalizationRegistry safety net', () => {
  it('liveTensors() lists tensors with the op that created them', () => {
    setDebug(true);
    const a = tensor([1, 2, 3]);
    const b = a.exp();
    const live = liveTensors();
    expect(live.find((l) => l.id === b.id)?.op).toBe('Exp');
    expect(live.find((l) => l.id === a.id)?.op).toBe('tensor');
    a.dispose();
    b.dispose();
    expect(liveTensors().some((l) => l.id === a.id || l.id === b.id)).toBe(false);
  });

  it.runIf(gc)(
    'a tensor dropped without dispose() is reported with its op and its memory is reclaimed',
    async () => {
      const leaks: LeakInfo[] = [];
      setDebug(true, { onLeak: (info) => leaks.push(info) });
      const before = memory().handles;
      (() => {
        tensor([1, 2, 3]).sigmoid(); // both the input and the result are dropped
      })();
      expect(memory().handles).toBe(before + 2);
      for (let i = 0; i < 20 && leaks.length < 2; i++) {
        gc!();
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(leaks.map((l) => l.op).sort()).toEqual(['Sigmoid', 'tensor']);
      expect(memory().handles).toBe(before);
    },
  );
});
