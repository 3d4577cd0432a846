import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuBackend } from '@myelin/backend-cpu';
import { use } from '@myelin/core';
import { CheckpointError, loadCheckpoint } from '@myelin/train';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
const MLP_KEYS = ['0.bias', '0.weight', '2.bias', '2.weight', '4.bias', '4.weight'];

/**
 * When to SIGKILL the run: on seeing a state of the directory (`own`: the temporary files this
 * process is writing, told apart by the pid in their names), or after a delay.
 */
type Trigger =
  | { name: string; when: (files: string[], own: string[]) => boolean }
  | { name: string; afterMs: number };

const weightsPartial = /^model-[0-9a-f]{16}\.safetensors\.partial-\d+-\d+$/;
const manifestPartial = /^model\.json\.partial-\d+-\d+$/;
const weights = /^model-[0-9a-f]{16}\.safetensors$/;

let lastRunMs = 0;

function train(dir: string, epochs: number): ChildProcess {
  const args = [
    'train',
    'mlp',
    '--backend',
    'cpu',
    '--limit',
    '128',
    '--val-limit',
    '100',
    '--epochs',
    String(epochs),
  ];
  return spawn(process.execPath, [CLI, ...args, '--out', dir], {
    // Each step of a checkpoint write (half a file, fsync, rename) then takes 40 ms longer, so the
    // directory can be watched and the process killed inside every step.
    env: { ...process.env, MYELIN_CHECKPOINT_STEP_DELAY_MS: '40' },
    stdio: 'ignore',
  });
}

/** Run until the trigger fires (then SIGKILL) or the run ends; says which, and how long it ran. */
function runUntil(dir: string, trigger: Trigger): Promise<'killed' | 'finished'> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = train(dir, 3);
    let killed = false;
    let seenOwn = false;
    const kill = () => {
      if (killed || child.exitCode !== null) return;
      killed = true;
      child.kill('SIGKILL');
    };
    const timer =
      'afterMs' in trigger
        ? setTimeout(kill, trigger.afterMs)
        : setInterval(() => {
            let files: string[] = [];
            try {
              files = readdirSync(dir);
            } catch {}
            const own = files.filter((n) => n.includes(`.partial-${child.pid}-`));
            seenOwn ||= own.length > 0;
            // Until this process writes, what is there is the last run's (cleaned when it starts).
            if (seenOwn && trigger.when(files, own)) kill();
          }, 1);
    child.on('exit', () => {
      clearTimeout(timer);
      clearInterval(timer);
      lastRunMs = performance.now() - t0;
      resolve(killed ? 'killed' : 'finished');
    });
  });
}

/** What is on disk must be a complete checkpoint or none: the loader and `myelin eval` agree. */
async function checkDir(dir: string, trigger: string): Promise<'checkpoint' | 'none'> {
  let loaded: 'checkpoint' | 'none';
  try {
    const ck = loadCheckpoint(dir, { name: 'model' });
    expect([trigger, Object.keys(ck.tensors).sort()]).toEqual([trigger, MLP_KEYS]);
    for (const t of Object.values(ck.tensors)) t.dispose();
    loaded = 'checkpoint';
  } catch (e) {
    expect([trigger, e instanceof CheckpointError && e.reason]).toEqual([trigger, 'missing']);
    loaded = 'none';
  }
  let text = '';
  const evaluated = await main(['eval', dir, '--backend', 'cpu', '--limit', '50'], (s) => {
    text += s;
  }).then(
    () => 'checkpoint',
    (e: Error) => e.message,
  );
  if (loaded === 'checkpoint') {
    expect([trigger, evaluated]).toEqual([trigger, 'checkpoint']);
    expect(text).toMatch(/^mlp on mnist test: accuracy [\d.]+% \(50 images; checkpoint of epoch [1-3]\)/);
  } else
    expect([trigger, evaluated]).toEqual([
      trigger,
      `eval: no checkpoint in '${dir}' (myelin train --out writes one)`,
    ]);
  return loaded;
}

describe('myelin train under kill -9', () => {
  // The loader uploads tensors to the active backend.
  beforeAll(() => use(cpuBackend()));

  it('leaves the previous complete checkpoint or the new one, never a partial one, wherever it is killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'myelin-kill-'));
    const outcomes: string[] = [];
    const trial = async (trigger: Trigger) => {
      // On a loaded machine the watcher can miss a write's window; such a run ends normally, so
      // check it like any other and try again (a run that misses thrice fails the test below).
      for (let attempt = 0; ; attempt++) {
        const how = await runUntil(dir, trigger);
        const state = await checkDir(dir, trigger.name);
        if (how === 'killed' || 'afterMs' in trigger || attempt === 2) {
          outcomes.push(`${trigger.name}: ${how}, ${state}`);
          return;
        }
      }
    };
    // Killed while writing the first checkpoint: there is none.
    await trial({
      name: 'during the first weights write',
      when: (_, own) => own.some((n) => weightsPartial.test(n)),
    });
    await trial({
      name: 'during the first manifest write',
      when: (_, own) => own.some((n) => manifestPartial.test(n)),
    });
    expect(outcomes).toEqual([
      'during the first weights write: killed, none',
      'during the first manifest write: killed, none',
    ]);
    // A whole run, which also times kills at fractions of a run whatever the machine's load.
    expect(await runUntil(dir, { name: 'never', afterMs: 600_000 })).toBe('finished');
    expect(await checkDir(dir, 'first complete run')).toBe('checkpoint');
    const runMs = lastRunMs;
    const triggers: Trigger[] = [
      // New weights renamed into place beside the committed ones; the manifest not yet written or not yet cleaned up.
      { name: 'between weights and manifest', when: (f) => f.filter((n) => weights.test(n)).length >= 2 },
      {
        name: 'during a manifest write over a checkpoint',
        when: (f, own) => f.includes('model.json') && own.some((n) => manifestPartial.test(n)),
      },
      {
        name: 'during a weights write beside a checkpoint',
        when: (f, own) => f.includes('model.json') && own.some((n) => weightsPartial.test(n)),
      },
      ...[0.2, 0.4, 0.6, 0.8].map((f) => ({ name: `after ${f} of a run`, afterMs: f * runMs })),
    ];
    // One directory throughout: each run starts from what the last killed one left.
    for (const trigger of triggers) await trial(trigger);
    if (process.env.MYELIN_KILL_LOG)
      console.log(`a whole run: ${Math.round(runMs)} ms\n${outcomes.join('\n')}`);
    // The file-state triggers must each have caught the process inside a write, with a checkpoint there.
    for (const o of outcomes.slice(2, 5)) expect(o).toMatch(/: killed, checkpoint$/);
    expect(outcomes.filter((o) => o.includes('killed')).length).toBeGreaterThanOrEqual(7);
    // A run left alone cleans what the killed ones left and ends with one complete checkpoint.
    expect(await runUntil(dir, { name: 'never', afterMs: 600_000 })).toBe('finished');
    expect(await checkDir(dir, 'complete run')).toBe('checkpoint');
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(weights);
    expect(files[1]).toBe('model.json');
  }, 120_000);
});
