import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Acrobot,
  CartPole,
  type ControlEnvName,
  EnvError,
  MountainCar,
  makeControlEnv,
  Pendulum,
  VectorEnv,
} from '../src/index.js';

interface Case {
  state: number[];
  actions: (number | number[])[];
  observations: number[][];
  rewards: number[];
  terminated: boolean[];
  truncated: boolean[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/control-dynamics.json', import.meta.url), 'utf8'),
) as {
  cases: Record<ControlEnvName, Case[]>;
};

describe('classic-control dynamics against Gymnasium’s published equations (tools/gen_rl_control_fixtures.py)', () => {
  for (const id of ['CartPole-v1', 'MountainCar-v0', 'Acrobot-v1', 'Pendulum-v1'] as const) {
    it(`${id}: every transition, termination and truncation of ${fixture.cases[id].length} trajectories`, () => {
      for (const c of fixture.cases[id]) {
        const env = makeControlEnv(id, { seed: 0 });
        env.reset();
        env.setState(c.state);
        c.actions.forEach((a, t) => {
          const r = env.step((Array.isArray(a) ? Float32Array.from(a) : a) as never);
          const want = c.observations[t]!;
          expect(r.observation.length).toBe(want.length);
          for (let i = 0; i < want.length; i++) expect(r.observation[i]).toBeCloseTo(want[i]!, 5);
          expect(r.reward).toBeCloseTo(c.rewards[t]!, 9);
          expect(r.terminated).toBe(c.terminated[t]);
          expect(r.truncated).toBe(c.truncated[t]);
        });
      }
    });
  }

  it('the fixture exercises termination and the time limits', () => {
    expect(fixture.cases['CartPole-v1'].some((c) => c.terminated.at(-1))).toBe(true);
    expect(fixture.cases['CartPole-v1'].some((c) => c.truncated.at(-1) && c.actions.length === 500)).toBe(
      true,
    );
    expect(fixture.cases['MountainCar-v0'].some((c) => c.terminated.at(-1))).toBe(true);
    expect(fixture.cases['MountainCar-v0'].some((c) => c.truncated.at(-1) && c.actions.length === 200)).toBe(
      true,
    );
    expect(fixture.cases['Acrobot-v1'].some((c) => c.terminated.at(-1) && c.rewards.at(-1) === 0)).toBe(true);
    expect(fixture.cases['Acrobot-v1'].some((c) => c.truncated.at(-1) && c.actions.length === 500)).toBe(
      true,
    );
    expect(fixture.cases['Pendulum-v1'].some((c) => c.truncated.at(-1) && c.actions.length === 200)).toBe(
      true,
    );
  });
});

describe('spaces, start states, seeding', () => {
  it('spaces and time limits as Gymnasium registers them', () => {
    const cp = new CartPole();
    expect(cp.actionSpace).toEqual({ kind: 'discrete', n: 2 });
    expect(cp.observationSpace.low[0]).toBeCloseTo(-4.8, 6);
    expect(cp.observationSpace.high[2]).toBeCloseTo(2 * ((12 * 2 * Math.PI) / 360), 5);
    expect(cp.maxEpisodeSteps).toBe(500);
    expect(new MountainCar().maxEpisodeSteps).toBe(200);
    expect(new MountainCar().actionSpace).toEqual({ kind: 'discrete', n: 3 });
    expect(new Acrobot().maxEpisodeSteps).toBe(500);
    expect(new Acrobot().observationSpace.high[5]).toBeCloseTo(9 * Math.PI, 5);
    const p = new Pendulum();
    expect(p.maxEpisodeSteps).toBe(200);
    expect(p.actionSpace.kind === 'box' && [p.actionSpace.low[0], p.actionSpace.high[0]]).toEqual([-2, 2]);
    expect(new CartPole({ maxEpisodeSteps: 3 }).maxEpisodeSteps).toBe(3);
  });

  it('start states are drawn from Gymnasium’s ranges, and the same seed gives the same start', () => {
    for (let seed = 0; seed < 50; seed++) {
      const cp = new CartPole().reset(seed).observation;
      for (const v of cp) expect(Math.abs(v)).toBeLessThanOrEqual(0.05);
      const mc = new MountainCar().reset(seed).observation;
      expect(mc[0]).toBeGreaterThanOrEqual(-0.6);
      expect(mc[0]).toBeLessThanOrEqual(-0.4);
      expect(mc[1]).toBe(0);
      const ac = new Acrobot();
      ac.reset(seed);
      for (const v of ac.state) expect(Math.abs(v)).toBeLessThanOrEqual(0.1);
      const pe = new Pendulum();
      pe.reset(seed);
      expect(Math.abs(pe.state[0]!)).toBeLessThanOrEqual(Math.PI);
      expect(Math.abs(pe.state[1]!)).toBeLessThanOrEqual(1);
    }
    const a = new CartPole();
    const b = new CartPole();
    expect(a.reset(7).observation).toEqual(b.reset(7).observation);
    expect(a.reset(8).observation).not.toEqual(b.reset(7).observation);
  });

  it('termination thresholds: CartPole at |θ| > 12° and |x| > 2.4, MountainCar at the flag', () => {
    // Euler: the first step moves θ by τ·θ̇ and x by τ·ẋ, so with zero velocities they stay put
    const thr = (12 * 2 * Math.PI) / 360;
    const ends = (s: number[]) => {
      const env = new CartPole();
      env.reset(0);
      env.setState(s);
      return env.step(0).terminated;
    };
    expect(ends([0, 0, thr - 1e-9, 0])).toBe(false);
    expect(ends([0, 0, thr + 1e-9, 0])).toBe(true);
    expect(ends([0, 0, -thr - 1e-9, 0])).toBe(true);
    expect(ends([2.4 - 1e-9, 0, 0, 0])).toBe(false);
    expect(ends([2.4 + 1e-9, 0, 0, 0])).toBe(true);
    expect(ends([-2.4 - 1e-9, 0, 0, 0])).toBe(true);
    const mc = new MountainCar();
    mc.reset(0);
    mc.setState([0.49, 0.07]); // next position ≈ 0.49 + 0.0698 ≥ 0.5, velocity ≥ 0
    expect(mc.step(1).terminated).toBe(true);
  });

  it('truncates at the time limit even while the task goes on', () => {
    const env = new Pendulum({ maxEpisodeSteps: 5 });
    env.reset(0);
    const flags = Array.from({ length: 5 }, () => env.step(0).truncated);
    expect(flags).toEqual([false, false, false, false, true]);
  });
});

describe('bad input names the environment, what came and what was expected', () => {
  it('an action outside the action space', () => {
    const env = new CartPole();
    env.reset(0);
    expect(() => env.step(2)).toThrow(EnvError);
    expect(() => env.step(2)).toThrow(/CartPole-v1: action 2 is outside the action space Discrete\(2\)/);
    const p = new Pendulum();
    p.reset(0);
    expect(() => p.step(Float32Array.of(2.5))).toThrow(
      /Pendulum-v1: action \[2.5\] is outside .*Box\(\[-2\], \[2\], \[1\]\)/,
    );
    expect(() => p.step(Float32Array.of(0, 0))).toThrow(/Pendulum-v1/);
  });

  it('step before reset and after the episode ended', () => {
    const env = new CartPole();
    expect(() => env.step(0)).toThrow(/CartPole-v1: step\(\) before reset\(\)/);
    env.reset(0);
    let r = env.step(1);
    while (!r.terminated) r = env.step(1);
    expect(() => env.step(1)).toThrow(/CartPole-v1: step\(\) after the episode ended/);
    expect(() => env.setState([1, 2])).toThrow(/CartPole-v1: setState got 2 values, expected 4/);
    expect(() => makeControlEnv('Cartpole' as ControlEnvName)).toThrow(/unknown environment 'Cartpole'/);
  });
});

describe('VectorEnv (Gymnasium’s SyncVectorEnv)', () => {
  it('seeds copy i with seed + i and stacks observations', () => {
    const v = new VectorEnv(() => new CartPole(), 3);
    const { observations } = v.reset(10);
    expect(observations.length).toBe(12);
    expect(Array.from(observations.subarray(4, 8))).toEqual(Array.from(new CartPole().reset(11).observation));
    expect(() => v.step([0, 1])).toThrow(
      /VectorEnv\(CartPole-v1\): got 2 actions, expected one per copy \(3\)/,
    );
    expect(() => v.step([0, 1, 2])).toThrow(
      /CartPole-v1: action 2 is outside the action space Discrete\(2\)/,
    );
    expect(() => new VectorEnv(() => new CartPole(), 2).step([0, 0])).toThrow(
      /VectorEnv\(CartPole-v1\): step\(\) before reset\(\)/,
    );
    expect(() => new VectorEnv(() => new CartPole(), 0)).toThrow(
      /VectorEnv: n must be an integer ≥ 1, got 0/,
    );
    expect(() => new VectorEnv((i) => (i ? new Pendulum() : new CartPole()) as never, 2)).toThrow(
      /all copies must be the same environment, got CartPole-v1 and Pendulum-v1/,
    );
  });

  it('a copy that terminates is reset on the next step (n = 1)', () => {
    const v = new VectorEnv(() => new CartPole(), 1);
    v.reset(0);
    let s = v.step([1]);
    let steps = 1;
    while (!s.terminated[0]) {
      s = v.step([1]);
      steps++;
    }
    expect(steps).toBeLessThan(40);
    const after = v.step([1]);
    expect(after.terminated).toEqual([false]);
    expect(after.rewards[0]).toBe(0);
    for (const x of after.observations) expect(Math.abs(x)).toBeLessThanOrEqual(0.05);
  });

  it("'next-step' autoreset: the step after an episode ends resets that copy with reward 0", () => {
    const v = new VectorEnv((i) => new Pendulum({ maxEpisodeSteps: 2 + i }), 2);
    v.reset(0);
    const s1 = v.step([Float32Array.of(0), Float32Array.of(0)]);
    expect(s1.truncated).toEqual([false, false]);
    const s2 = v.step([Float32Array.of(0), Float32Array.of(0)]);
    expect(s2.truncated).toEqual([true, false]);
    const s3 = v.step([Float32Array.of(0), Float32Array.of(0)]);
    expect(s3.truncated).toEqual([false, true]);
    expect(s3.rewards[0]).toBe(0); // copy 0 was reset, not stepped
    expect(s3.finalObservations).toEqual([null, null]);
    const e0 = v.envs[0] as Pendulum;
    expect(e0.elapsedSteps).toBe(0);
  });

  it("'same-step' autoreset: the finished episode’s last observation comes in finalObservations", () => {
    const v = new VectorEnv(() => new Pendulum({ maxEpisodeSteps: 2 }), 1, { autoreset: 'same-step' });
    v.reset(3);
    const ref = new Pendulum({ maxEpisodeSteps: 2 });
    ref.reset(3);
    ref.step(Float32Array.of(1));
    const last = ref.step(Float32Array.of(1)).observation;
    v.step([Float32Array.of(1)]);
    const s = v.step([Float32Array.of(1)]);
    expect(s.truncated).toEqual([true]);
    expect(s.finalObservations[0]).toEqual(last);
    expect(s.observations).not.toEqual(last);
    expect((v.envs[0] as Pendulum).elapsedSteps).toBe(0);
  });
});

describe('rendering', () => {
  it('text names the state', () => {
    const env = new CartPole();
    env.reset(0);
    env.setState([0, 0, 0.1, 0]);
    expect(env.renderText()).toMatch(/^\|-+\/-+\| {2}x=0\.000 θ=5\.73°$/);
    const mc = new MountainCar();
    mc.reset(0);
    expect(mc.renderText()).toContain('C');
    expect(new Acrobot().renderText()).toContain('tip height');
    expect(new Pendulum().renderText()).toContain('θ=');
  });

  it('frames are [3, H, W] in [0, 1] and draw the cart where it is', () => {
    const env = new CartPole();
    env.reset(0);
    env.setState([0, 0, 0, 0]);
    const f = env.renderFrame();
    expect([f.height, f.width, f.data.length]).toEqual([200, 300, 3 * 200 * 300]);
    const px = (x: number, y: number) => [0, 1, 2].map((c) => f.data[c * 300 * 200 + y * 300 + x]);
    expect(px(150, 150)).toEqual([0, 0, 0]); // the cart body at the centre
    expect(px(10, 10)).toEqual([1, 1, 1]); // background
    env.setState([2, 0, 0, 0]);
    const g = env.renderFrame();
    expect(g.data[150 * 300 + 150]).toBe(1); // the cart moved away
    expect(g.data[150 * 300 + Math.round(150 + 2 * 62.5)]).toBe(0);
    for (const e of [new MountainCar(), new Acrobot(), new Pendulum()]) {
      e.reset(0);
      const fr = e.renderFrame();
      expect(fr.data.length).toBe(3 * fr.height * fr.width);
      expect(fr.data.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(fr.data.some((v) => v < 1)).toBe(true);
    }
  });
});
