import {
  type BoxSpace,
  box,
  type DiscreteSpace,
  discrete,
  EnvBase,
  EnvError,
  type EnvRandom,
  type Frame,
  type ResetResult,
  type StepResult,
} from '../env.js';
import { Canvas } from './canvas.js';

/**
 * Gymnasium's classic-control environments (gymnasium/envs/classic_control, v1.x), with their
 * published dynamics, constants, start-state distributions and time limits. The state is kept in
 * float64 as Gymnasium keeps it; observations leave as float32, as Gymnasium's do. Each exposes
 * `state` (read) and `setState` (write), as `env.unwrapped.state` is in Gymnasium.
 */

export interface ControlEnvOptions {
  /** Seed of the start-state draws (`reset(seed)` reseeds). */
  seed?: number;
  /** Steps after which `step` reports `truncated` (default: Gymnasium's registration). */
  maxEpisodeSteps?: number;
}

const GREY: readonly number[] = [0.5, 0.5, 0.5];
const BLACK: readonly number[] = [0, 0, 0];
/** The largest float32, Gymnasium's `np.finfo(np.float32).max` bound. */
const F32_MAX = 3.4028234663852886e38;

abstract class ControlEnv<A extends number | Float32Array> extends EnvBase<Float32Array, A> {
  protected s: Float64Array;

  constructor(size: number, options: ControlEnvOptions, defaultSteps: number) {
    super({ seed: options.seed, maxEpisodeSteps: options.maxEpisodeSteps ?? defaultSteps });
    this.s = new Float64Array(size);
  }

  /** The internal state (a copy), in Gymnasium's order. */
  get state(): Float64Array {
    return this.s.slice();
  }

  /** Put the environment in state `s` (Gymnasium's `env.unwrapped.state = s`), e.g. to test dynamics. */
  setState(s: ArrayLike<number>): void {
    if (s.length !== this.s.length)
      throw new EnvError(`${this.id}: setState got ${s.length} values, expected ${this.s.length}`);
    this.s = Float64Array.from(s);
  }

  protected abstract observe(): Float32Array;
}

// ---------------------------------------------------------------------------------------------
// CartPole-v1

/**
 * CartPole-v1 (Barto, Sutton & Anderson 1983, as Gymnasium implements it): push a cart left (0)
 * or right (1) to balance a pole. Observation [x, ẋ, θ, θ̇]; reward +1 for every step, including
 * the one that ends the episode; terminated when |x| > 2.4 or |θ| > 12°; truncated at 500 steps.
 * Explicit Euler with τ = 0.02 s (Gymnasium's default integrator). Start: all four values U(−0.05, 0.05).
 */
export class CartPole extends ControlEnv<number> {
  readonly id = 'CartPole-v1';
  static readonly gravity = 9.8;
  static readonly massCart = 1.0;
  static readonly massPole = 0.1;
  /** Half the pole's length. */
  static readonly poleHalfLength = 0.5;
  static readonly forceMag = 10.0;
  static readonly tau = 0.02;
  static readonly thetaThreshold = (12 * 2 * Math.PI) / 360;
  static readonly xThreshold = 2.4;
  readonly actionSpace: DiscreteSpace = discrete(2);
  readonly observationSpace: BoxSpace = box(
    [-CartPole.xThreshold * 2, -F32_MAX, -CartPole.thetaThreshold * 2, -F32_MAX],
    [CartPole.xThreshold * 2, F32_MAX, CartPole.thetaThreshold * 2, F32_MAX],
  );

  constructor(options: ControlEnvOptions = {}) {
    super(4, options, 500);
  }

  protected observe(): Float32Array {
    return Float32Array.from(this.s);
  }

  protected resetState(rng: EnvRandom): ResetResult<Float32Array> {
    for (let i = 0; i < 4; i++) this.s[i] = rng.uniform(-0.05, 0.05);
    return { observation: this.observe(), info: {} };
  }

  protected stepState(action: number) {
    const { gravity, massCart, massPole, forceMag, tau } = CartPole;
    const length = CartPole.poleHalfLength;
    const total = massCart + massPole;
    const poleMassLength = massPole * length;
    let [x, xDot, theta, thetaDot] = this.s as unknown as [number, number, number, number];
    const force = action === 1 ? forceMag : -forceMag;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const temp = (force + poleMassLength * thetaDot ** 2 * sin) / total;
    const thetaAcc = (gravity * sin - cos * temp) / (length * (4 / 3 - (massPole * cos ** 2) / total));
    const xAcc = temp - (poleMassLength * thetaAcc * cos) / total;
    x += tau * xDot;
    xDot += tau * xAcc;
    theta += tau * thetaDot;
    thetaDot += tau * thetaAcc;
    this.s.set([x, xDot, theta, thetaDot]);
    const terminated =
      x < -CartPole.xThreshold ||
      x > CartPole.xThreshold ||
      theta < -CartPole.thetaThreshold ||
      theta > CartPole.thetaThreshold;
    return { observation: this.observe(), reward: 1, terminated, info: {} };
  }

  renderText(): string {
    const [x, , theta] = this.s as unknown as [number, number, number];
    const width = 49;
    const at = Math.round(((x + CartPole.xThreshold) / (2 * CartPole.xThreshold)) * (width - 1));
    const track = Array.from({ length: width }, () => '-');
    const pole = theta > 0.035 ? '/' : theta < -0.035 ? '\\' : '|';
    if (at >= 0 && at < width) track[at] = pole;
    return `|${track.join('')}|  x=${x.toFixed(3)} θ=${((theta * 180) / Math.PI).toFixed(2)}°`;
  }

  /** Gymnasium's picture at half size (300×200): the track, the cart, the pole and its axle. */
  renderFrame(): Frame {
    const W = 300;
    const H = 200;
    const c = new Canvas(W, H);
    const scale = W / (2 * CartPole.xThreshold);
    const poleLen = scale * 2 * CartPole.poleHalfLength;
    const [x, , theta] = this.s as unknown as [number, number, number];
    const cartX = x * scale + W / 2;
    const trackY = H - 50;
    c.line(0, trackY, W, trackY, 1, BLACK);
    c.rect(cartX - 12.5, trackY - 7.5 - 4, 25, 15, BLACK);
    const axleY = trackY - 7.5 - 4 + 3;
    c.line(cartX, axleY, cartX + poleLen * Math.sin(theta), axleY - poleLen * Math.cos(theta), 5, [
      202 / 255,
      152 / 255,
      101 / 255,
    ]);
    c.circle(cartX, axleY, 2.5, [129 / 255, 132 / 255, 203 / 255]);
    return c.frame();
  }
}

// ---------------------------------------------------------------------------------------------
// MountainCar-v0

/**
 * MountainCar-v0 (Moore 1990): an under-powered car in a valley pushes left (0), not at all (1) or
 * right (2). Observation [position, velocity]; reward −1 per step; terminated at position ≥ 0.5;
 * truncated at 200 steps. Start: position U(−0.6, −0.4), velocity 0.
 */
export class MountainCar extends ControlEnv<number> {
  readonly id = 'MountainCar-v0';
  static readonly minPosition = -1.2;
  static readonly maxPosition = 0.6;
  static readonly maxSpeed = 0.07;
  static readonly goalPosition = 0.5;
  static readonly goalVelocity = 0;
  static readonly force = 0.001;
  static readonly gravity = 0.0025;
  readonly actionSpace: DiscreteSpace = discrete(3);
  readonly observationSpace: BoxSpace = box(
    [MountainCar.minPosition, -MountainCar.maxSpeed],
    [MountainCar.maxPosition, MountainCar.maxSpeed],
  );

  constructor(options: ControlEnvOptions = {}) {
    super(2, options, 200);
  }

  protected observe(): Float32Array {
    return Float32Array.from(this.s);
  }

  protected resetState(rng: EnvRandom): ResetResult<Float32Array> {
    this.s[0] = rng.uniform(-0.6, -0.4);
    this.s[1] = 0;
    return { observation: this.observe(), info: {} };
  }

  protected stepState(action: number) {
    const M = MountainCar;
    let [position, velocity] = this.s as unknown as [number, number];
    velocity += (action - 1) * M.force + Math.cos(3 * position) * -M.gravity;
    velocity = Math.min(Math.max(velocity, -M.maxSpeed), M.maxSpeed);
    position += velocity;
    position = Math.min(Math.max(position, M.minPosition), M.maxPosition);
    if (position === M.minPosition && velocity < 0) velocity = 0;
    this.s.set([position, velocity]);
    const terminated = position >= M.goalPosition && velocity >= M.goalVelocity;
    return { observation: this.observe(), reward: -1, terminated, info: {} };
  }

  renderText(): string {
    const [p, v] = this.s as unknown as [number, number];
    const width = 49;
    const at = Math.round(
      ((p - MountainCar.minPosition) / (MountainCar.maxPosition - MountainCar.minPosition)) * (width - 1),
    );
    const goal = Math.round(
      ((MountainCar.goalPosition - MountainCar.minPosition) /
        (MountainCar.maxPosition - MountainCar.minPosition)) *
        (width - 1),
    );
    const track: string[] = Array.from({ length: width }, (_, i) => (i === goal ? 'F' : '_'));
    track[at] = 'C';
    return `${track.join('')}  position=${p.toFixed(3)} velocity=${v.toFixed(4)}`;
  }

  /** The valley y = 0.45·sin(3x) + 0.55, the flag and the car, at 300×200. */
  renderFrame(): Frame {
    const W = 300;
    const H = 200;
    const c = new Canvas(W, H);
    const M = MountainCar;
    const scale = W / (M.maxPosition - M.minPosition);
    const height = (x: number) => Math.sin(3 * x) * 0.45 + 0.55;
    const toY = (y: number) => H - 10 - y * scale;
    const toX = (x: number) => (x - M.minPosition) * scale;
    let prev: [number, number] | null = null;
    for (let i = 0; i <= 100; i++) {
      const x = M.minPosition + ((M.maxPosition - M.minPosition) * i) / 100;
      const pt: [number, number] = [toX(x), toY(height(x))];
      if (prev) c.line(prev[0], prev[1], pt[0], pt[1], 1.5, BLACK);
      prev = pt;
    }
    const fx = toX(M.goalPosition);
    const fy = toY(height(M.goalPosition));
    c.line(fx, fy, fx, fy - 25, 1, BLACK);
    c.polygon(
      [
        [fx, fy - 25],
        [fx, fy - 17],
        [fx + 12, fy - 21],
      ],
      [204 / 255, 204 / 255, 0],
    );
    const p = this.s[0]!;
    const angle = Math.atan(Math.cos(3 * p) * 0.45 * 3); // slope of the track
    const px = toX(p);
    const py = toY(height(p));
    const ca = Math.cos(angle);
    const sa = Math.sin(angle);
    // (u, v): along the track and up from it, in pixels.
    const corner = (u: number, v: number): [number, number] => [px + u * ca + v * sa, py - u * sa + v * ca];
    c.polygon([corner(-10, -3), corner(10, -3), corner(10, -13), corner(-10, -13)], BLACK);
    c.circle(...corner(-6, -3), 3, GREY);
    c.circle(...corner(6, -3), 3, GREY);
    return c.frame();
  }
}

// ---------------------------------------------------------------------------------------------
// Acrobot-v1

/** `x` wrapped into [m, M] as Gymnasium's `wrap`. */
function wrap(x: number, m: number, M: number): number {
  const diff = M - m;
  while (x > M) x -= diff;
  while (x < m) x += diff;
  return x;
}

/**
 * Acrobot-v1 (Sutton 1996; Sutton & Barto's book dynamics): a two-link pendulum actuated at the
 * middle joint with torque −1 (0), 0 (1) or +1 (2). Observation [cos θ1, sin θ1, cos θ2, sin θ2,
 * θ̇1, θ̇2]; reward −1 per step and 0 on reaching the goal, −cos θ1 − cos(θ1 + θ2) > 1; one
 * classic RK4 step over dt = 0.2 s; truncated at 500 steps. Start: all four state values U(−0.1, 0.1).
 */
export class Acrobot extends ControlEnv<number> {
  readonly id = 'Acrobot-v1';
  static readonly dt = 0.2;
  static readonly linkLength1 = 1;
  static readonly linkMass1 = 1;
  static readonly linkMass2 = 1;
  static readonly linkComPos1 = 0.5;
  static readonly linkComPos2 = 0.5;
  static readonly linkMoi = 1;
  static readonly maxVel1 = 4 * Math.PI;
  static readonly maxVel2 = 9 * Math.PI;
  static readonly torques = [-1, 0, 1] as const;
  readonly actionSpace: DiscreteSpace = discrete(3);
  readonly observationSpace: BoxSpace = box(
    [-1, -1, -1, -1, -Acrobot.maxVel1, -Acrobot.maxVel2],
    [1, 1, 1, 1, Acrobot.maxVel1, Acrobot.maxVel2],
  );

  constructor(options: ControlEnvOptions = {}) {
    super(4, options, 500);
  }

  protected observe(): Float32Array {
    const [t1, t2, d1, d2] = this.s as unknown as [number, number, number, number];
    return Float32Array.from([Math.cos(t1), Math.sin(t1), Math.cos(t2), Math.sin(t2), d1, d2]);
  }

  protected resetState(rng: EnvRandom): ResetResult<Float32Array> {
    for (let i = 0; i < 4; i++) this.s[i] = rng.uniform(-0.1, 0.1);
    return { observation: this.observe(), info: {} };
  }

  /** d/dt of [θ1, θ2, θ̇1, θ̇2] under torque `a` (the book's equations). */
  static derivatives(s: readonly number[], a: number): [number, number, number, number] {
    const m1 = Acrobot.linkMass1;
    const m2 = Acrobot.linkMass2;
    const l1 = Acrobot.linkLength1;
    const lc1 = Acrobot.linkComPos1;
    const lc2 = Acrobot.linkComPos2;
    const I1 = Acrobot.linkMoi;
    const I2 = Acrobot.linkMoi;
    const g = 9.8;
    const [theta1, theta2, dtheta1, dtheta2] = s as [number, number, number, number];
    const d1 = m1 * lc1 ** 2 + m2 * (l1 ** 2 + lc2 ** 2 + 2 * l1 * lc2 * Math.cos(theta2)) + I1 + I2;
    const d2 = m2 * (lc2 ** 2 + l1 * lc2 * Math.cos(theta2)) + I2;
    const phi2 = m2 * lc2 * g * Math.cos(theta1 + theta2 - Math.PI / 2);
    const phi1 =
      -m2 * l1 * lc2 * dtheta2 ** 2 * Math.sin(theta2) -
      2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * Math.sin(theta2) +
      (m1 * lc1 + m2 * l1) * g * Math.cos(theta1 - Math.PI / 2) +
      phi2;
    const ddtheta2 =
      (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * dtheta1 ** 2 * Math.sin(theta2) - phi2) /
      (m2 * lc2 ** 2 + I2 - d2 ** 2 / d1);
    const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    return [dtheta1, dtheta2, ddtheta1, ddtheta2];
  }

  protected stepState(action: number) {
    const a = Acrobot.torques[action]!;
    const y0 = Array.from(this.s);
    const dt = Acrobot.dt;
    const f = (y: number[]) => Acrobot.derivatives(y, a);
    const add = (y: number[], k: number[], h: number) => y.map((v, i) => v + h * k[i]!);
    const k1 = f(y0);
    const k2 = f(add(y0, k1, dt / 2));
    const k3 = f(add(y0, k2, dt / 2));
    const k4 = f(add(y0, k3, dt));
    const ns = y0.map((v, i) => v + (dt / 6) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!));
    ns[0] = wrap(ns[0]!, -Math.PI, Math.PI);
    ns[1] = wrap(ns[1]!, -Math.PI, Math.PI);
    ns[2] = Math.min(Math.max(ns[2]!, -Acrobot.maxVel1), Acrobot.maxVel1);
    ns[3] = Math.min(Math.max(ns[3]!, -Acrobot.maxVel2), Acrobot.maxVel2);
    this.s.set(ns);
    const terminated = -Math.cos(ns[0]!) - Math.cos(ns[1]! + ns[0]!) > 1;
    return { observation: this.observe(), reward: terminated ? 0 : -1, terminated, info: {} };
  }

  renderText(): string {
    const [t1, t2, d1, d2] = this.s as unknown as [number, number, number, number];
    const tip = -Math.cos(t1) - Math.cos(t1 + t2);
    return `θ1=${t1.toFixed(3)} θ2=${t2.toFixed(3)} θ̇1=${d1.toFixed(3)} θ̇2=${d2.toFixed(3)} tip height=${tip.toFixed(3)} (goal > 1)`;
  }

  /** The two links hanging from the centre and the goal line, at 250×250. */
  renderFrame(): Frame {
    const S = 250;
    const c = new Canvas(S, S);
    const scale = S / 2 / 2.2;
    const ox = S / 2;
    const oy = S / 2;
    const [t1, t2] = this.s as unknown as [number, number];
    c.line(0, oy - scale, S, oy - scale, 1, BLACK);
    const p1: [number, number] = [ox + scale * Math.sin(t1), oy + scale * Math.cos(t1)];
    const p2: [number, number] = [p1[0] + scale * Math.sin(t1 + t2), p1[1] + scale * Math.cos(t1 + t2)];
    c.line(ox, oy, p1[0], p1[1], 10, [0, 0.8, 0.8]);
    c.line(p1[0], p1[1], p2[0], p2[1], 10, [0, 0.8, 0.8]);
    c.circle(ox, oy, 5, [0.8, 0.8, 0]);
    c.circle(p1[0], p1[1], 5, [0.8, 0.8, 0]);
    return c.frame();
  }
}

// ---------------------------------------------------------------------------------------------
// Pendulum-v1

/** An angle in [−π, π), as Gymnasium's `angle_normalize` (Python's floored modulo). */
function angleNormalize(x: number): number {
  const m = 2 * Math.PI;
  return ((((x + Math.PI) % m) + m) % m) - Math.PI;
}

/**
 * Pendulum-v1: swing a pendulum up and hold it with a torque in [−2, 2] (a 1-vector, continuous).
 * Observation [cos θ, sin θ, θ̇]; reward −(θ² + 0.1·θ̇² + 0.001·u²) with θ normalised to [−π, π);
 * never terminates; truncated at 200 steps. g = 10, m = l = 1, dt = 0.05, |θ̇| ≤ 8.
 * Start: θ ~ U(−π, π), θ̇ ~ U(−1, 1).
 */
export class Pendulum extends ControlEnv<Float32Array> {
  readonly id = 'Pendulum-v1';
  static readonly maxSpeed = 8;
  static readonly maxTorque = 2;
  static readonly dt = 0.05;
  static readonly g = 10;
  static readonly m = 1;
  static readonly l = 1;
  readonly actionSpace: BoxSpace = box(-Pendulum.maxTorque, Pendulum.maxTorque, [1]);
  readonly observationSpace: BoxSpace = box([-1, -1, -Pendulum.maxSpeed], [1, 1, Pendulum.maxSpeed]);
  private lastU: number | null = null;

  constructor(options: ControlEnvOptions = {}) {
    super(2, options, 200);
  }

  protected observe(): Float32Array {
    const [th, thdot] = this.s as unknown as [number, number];
    return Float32Array.from([Math.cos(th), Math.sin(th), thdot]);
  }

  protected resetState(rng: EnvRandom): ResetResult<Float32Array> {
    this.s[0] = rng.uniform(-Math.PI, Math.PI);
    this.s[1] = rng.uniform(-1, 1);
    this.lastU = null;
    return { observation: this.observe(), info: {} };
  }

  /** Accepts a number as well as a 1-vector (the action space's shape is [1]). */
  override step(action: Float32Array | number): StepResult<Float32Array> {
    return super.step(typeof action === 'number' ? Float32Array.of(action) : action);
  }

  protected stepState(action: Float32Array) {
    const { maxSpeed, maxTorque, dt, g, m, l } = Pendulum;
    const [th, thdot] = this.s as unknown as [number, number];
    const u = Math.min(Math.max(action[0]!, -maxTorque), maxTorque);
    this.lastU = u;
    const cost = angleNormalize(th) ** 2 + 0.1 * thdot ** 2 + 0.001 * u ** 2;
    let newThdot = thdot + (((3 * g) / (2 * l)) * Math.sin(th) + (3 / (m * l ** 2)) * u) * dt;
    newThdot = Math.min(Math.max(newThdot, -maxSpeed), maxSpeed);
    const newTh = th + newThdot * dt;
    this.s.set([newTh, newThdot]);
    return { observation: this.observe(), reward: -cost, terminated: false, info: {} };
  }

  renderText(): string {
    const [th, thdot] = this.s as unknown as [number, number];
    const u = this.lastU === null ? '' : ` torque=${this.lastU.toFixed(3)}`;
    return `θ=${angleNormalize(th).toFixed(3)} (0 is upright) θ̇=${thdot.toFixed(3)}${u}`;
  }

  /** The rod from the pivot (θ = 0 points up), at 250×250. */
  renderFrame(): Frame {
    const S = 250;
    const c = new Canvas(S, S);
    const th = this.s[0]!;
    const r = S * 0.4;
    const tip: [number, number] = [S / 2 + r * Math.sin(th), S / 2 - r * Math.cos(th)];
    c.line(S / 2, S / 2, tip[0], tip[1], 0.1 * r, [204 / 255, 77 / 255, 77 / 255]);
    c.circle(tip[0], tip[1], 0.05 * r, [204 / 255, 77 / 255, 77 / 255]);
    c.circle(S / 2, S / 2, 0.05 * r, BLACK);
    return c.frame();
  }
}

export type ControlEnvName = 'CartPole-v1' | 'MountainCar-v0' | 'Acrobot-v1' | 'Pendulum-v1';

/** A classic-control environment by its Gymnasium id (`gymnasium.make(id)`). */
export function makeControlEnv(id: 'Pendulum-v1', options?: ControlEnvOptions): Pendulum;
export function makeControlEnv(
  id: ControlEnvName,
  options?: ControlEnvOptions,
): CartPole | MountainCar | Acrobot | Pendulum;
export function makeControlEnv(id: ControlEnvName, options: ControlEnvOptions = {}) {
  switch (id) {
    case 'CartPole-v1':
      return new CartPole(options);
    case 'MountainCar-v0':
      return new MountainCar(options);
    case 'Acrobot-v1':
      return new Acrobot(options);
    case 'Pendulum-v1':
      return new Pendulum(options);
    default:
      throw new EnvError(
        `makeControlEnv: unknown environment '${String(id)}'; expected one of CartPole-v1, MountainCar-v0, Acrobot-v1, Pendulum-v1`,
      );
  }
}
