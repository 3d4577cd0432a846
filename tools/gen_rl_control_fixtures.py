#!/usr/bin/env python3
"""Reference transitions for @myelin/zoo-rl's classic-control environments.

Gymnasium is not installed: the dynamics below are written from Gymnasium's published equations and
constants (gymnasium/envs/classic_control/{cartpole,mountain_car,acrobot,pendulum}.py, v1.x), in
float64 as Gymnasium computes them; observations are rounded to float32 as Gymnasium returns them.

Each case gives a start state, a list of actions, and after every step the observation, the reward,
terminated and truncated (the registrations' time limits: CartPole-v1 500, MountainCar-v0 200,
Acrobot-v1 500, Pendulum-v1 200). Output: packages/zoo-rl/fixtures/control-dynamics.json.

Run: /usr/bin/python3 tools/gen_rl_control_fixtures.py
"""
import json
import math
import os

import numpy as np

rng = np.random.default_rng(20261206)


def f32(xs):
    return [float(np.float32(x)) for x in xs]


# ---- CartPole-v1
def cartpole_step(s, a):
    gravity, masscart, masspole, length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    total_mass = masspole + masscart
    polemass_length = masspole * length
    x, x_dot, theta, theta_dot = s
    force = force_mag if a == 1 else -force_mag
    costheta, sintheta = math.cos(theta), math.sin(theta)
    temp = (force + polemass_length * theta_dot**2 * sintheta) / total_mass
    thetaacc = (gravity * sintheta - costheta * temp) / (
        length * (4.0 / 3.0 - masspole * costheta**2 / total_mass))
    xacc = temp - polemass_length * thetaacc * costheta / total_mass
    x = x + tau * x_dot
    x_dot = x_dot + tau * xacc
    theta = theta + tau * theta_dot
    theta_dot = theta_dot + tau * thetaacc
    ns = [x, x_dot, theta, theta_dot]
    thr = 12 * 2 * math.pi / 360
    terminated = x < -2.4 or x > 2.4 or theta < -thr or theta > thr
    return ns, f32(ns), 1.0, terminated


# ---- MountainCar-v0
def mountaincar_step(s, a):
    position, velocity = s
    velocity += (a - 1) * 0.001 + math.cos(3 * position) * (-0.0025)
    velocity = min(max(velocity, -0.07), 0.07)
    position += velocity
    position = min(max(position, -1.2), 0.6)
    if position == -1.2 and velocity < 0:
        velocity = 0.0
    terminated = bool(position >= 0.5 and velocity >= 0)
    ns = [position, velocity]
    return ns, f32(ns), -1.0, terminated


# ---- Acrobot-v1 (book dynamics, RK4 over dt = 0.2)
def acrobot_dsdt(s_aug):
    m1 = m2 = 1.0
    l1 = 1.0
    lc1 = lc2 = 0.5
    I1 = I2 = 1.0
    g = 9.8
    a = s_aug[-1]
    theta1, theta2, dtheta1, dtheta2 = s_aug[:4]
    d1 = m1 * lc1**2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * math.cos(theta2)) + I1 + I2
    d2 = m2 * (lc2**2 + l1 * lc2 * math.cos(theta2)) + I2
    phi2 = m2 * lc2 * g * math.cos(theta1 + theta2 - math.pi / 2.0)
    phi1 = (-m2 * l1 * lc2 * dtheta2**2 * math.sin(theta2)
            - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * math.sin(theta2)
            + (m1 * lc1 + m2 * l1) * g * math.cos(theta1 - math.pi / 2) + phi2)
    ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1**2 * math.sin(theta2) - phi2) / (
        m2 * lc2**2 + I2 - d2**2 / d1)
    ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
    return np.array([dtheta1, dtheta2, ddtheta1, ddtheta2, 0.0])


def rk4(derivs, y0, t):
    yout = np.zeros((len(t), len(y0)))
    yout[0] = y0
    for i in range(len(t) - 1):
        dt = t[i + 1] - t[i]
        dt2 = dt / 2.0
        y = yout[i]
        k1 = derivs(y)
        k2 = derivs(y + dt2 * k1)
        k3 = derivs(y + dt2 * k2)
        k4 = derivs(y + dt * k3)
        yout[i + 1] = y + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return yout


def wrap(x, m, M):
    diff = M - m
    while x > M:
        x = x - diff
    while x < m:
        x = x + diff
    return x


def acrobot_step(s, a):
    torque = [-1.0, 0.0, 1.0][a]
    ns = rk4(acrobot_dsdt, np.append(np.array(s), torque), [0, 0.2])[-1][:4]
    ns = [float(v) for v in ns]
    ns[0] = wrap(ns[0], -math.pi, math.pi)
    ns[1] = wrap(ns[1], -math.pi, math.pi)
    ns[2] = min(max(ns[2], -4 * math.pi), 4 * math.pi)
    ns[3] = min(max(ns[3], -9 * math.pi), 9 * math.pi)
    terminated = bool(-math.cos(ns[0]) - math.cos(ns[1] + ns[0]) > 1.0)
    obs = [math.cos(ns[0]), math.sin(ns[0]), math.cos(ns[1]), math.sin(ns[1]), ns[2], ns[3]]
    return ns, f32(obs), 0.0 if terminated else -1.0, terminated


# ---- Pendulum-v1 (g = 10)
def angle_normalize(x):
    return ((x + math.pi) % (2 * math.pi)) - math.pi


def pendulum_step(s, u):
    g, m, l, dt = 10.0, 1.0, 1.0, 0.05
    th, thdot = s
    u = min(max(u, -2.0), 2.0)
    costs = angle_normalize(th) ** 2 + 0.1 * thdot**2 + 0.001 * (u**2)
    newthdot = thdot + (3 * g / (2 * l) * math.sin(th) + 3.0 / (m * l**2) * u) * dt
    newthdot = min(max(newthdot, -8.0), 8.0)
    newth = th + newthdot * dt
    ns = [newth, newthdot]
    return ns, f32([math.cos(newth), math.sin(newth), newthdot]), -costs, False


def run(step, limit, state, policy, steps):
    s = list(state)
    out = {"state": [float(v) for v in state], "actions": [], "observations": [], "rewards": [],
           "terminated": [], "truncated": []}
    for t in range(steps):
        a = policy(t, s)
        s, obs, r, term = step(s, a)
        trunc = bool((t + 1) >= limit)
        term = bool(term)
        out["actions"].append(a)
        out["observations"].append(obs)
        out["rewards"].append(r)
        out["terminated"].append(term)
        out["truncated"].append(trunc)
        if term or trunc:
            break
    return out


def random_policy(n):
    return lambda t, s: int(rng.integers(n))


cases = {"CartPole-v1": [], "MountainCar-v0": [], "Acrobot-v1": [], "Pendulum-v1": []}
for _ in range(4):
    cases["CartPole-v1"].append(run(cartpole_step, 500, rng.uniform(-0.05, 0.05, 4), random_policy(2), 60))
# always push right: the pole falls past 12 degrees
cases["CartPole-v1"].append(run(cartpole_step, 500, [0.01, -0.02, 0.03, 0.0], lambda t, s: 1, 100))
# a hand-made balancing controller: survives to the 500-step time limit
cases["CartPole-v1"].append(run(cartpole_step, 500, [0.0, 0.0, 0.01, 0.0],
                                lambda t, s: int(s[2] + 0.5 * s[3] + 0.01 * s[0] + 0.1 * s[1] > 0), 600))
for _ in range(3):
    cases["MountainCar-v0"].append(run(mountaincar_step, 200, [rng.uniform(-0.6, -0.4), 0.0], random_policy(3), 80))
# push with the velocity: hits the left wall (velocity set to 0) and reaches the flag
cases["MountainCar-v0"].append(run(mountaincar_step, 200, [-0.5, 0.0],
                                   lambda t, s: 0 if t < 40 else (2 if s[1] >= 0 else 0), 250))
# do nothing: truncated at 200 steps
cases["MountainCar-v0"].append(run(mountaincar_step, 200, [-0.5, 0.0], lambda t, s: 1, 250))
for _ in range(3):
    cases["Acrobot-v1"].append(run(acrobot_step, 500, rng.uniform(-0.1, 0.1, 4), random_policy(3), 60))
# from a high, fast state: reaches the goal height
cases["Acrobot-v1"].append(run(acrobot_step, 500, [1.4, 0.2, 2.5, 1.0], lambda t, s: 2, 40))
# energy pumping: torque with the first joint's velocity, to the goal or 500 steps
cases["Acrobot-v1"].append(run(acrobot_step, 500, [0.05, -0.02, 0.0, 0.0],
                               lambda t, s: 2 if s[2] > 0 else 0, 600))
for _ in range(3):
    st = [rng.uniform(-math.pi, math.pi), rng.uniform(-1, 1)]
    pend = run(pendulum_step, 200, st, lambda t, s: float(np.float32(rng.uniform(-2, 2))), 50)
    pend["actions"] = [[a] for a in pend["actions"]]
    cases["Pendulum-v1"].append(pend)
# full episode with a constant torque: truncated at 200; a large angle exercises angle_normalize
pend = run(pendulum_step, 200, [7.0, 0.5], lambda t, s: 1.5, 250)
pend["actions"] = [[a] for a in pend["actions"]]
cases["Pendulum-v1"].append(pend)

assert cases["CartPole-v1"][4]["terminated"][-1]
assert cases["CartPole-v1"][5]["truncated"][-1] and len(cases["CartPole-v1"][5]["actions"]) == 500
assert cases["MountainCar-v0"][3]["terminated"][-1]
assert cases["MountainCar-v0"][4]["truncated"][-1]
assert cases["Acrobot-v1"][3]["terminated"][-1]
assert len(cases["Pendulum-v1"][3]["actions"]) == 200
for name, cs in cases.items():
    print(name, [(len(c["actions"]), c["terminated"][-1], c["truncated"][-1]) for c in cs])

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "packages", "zoo-rl", "fixtures", "control-dynamics.json")
with open(path, "w") as f:
    json.dump({"source": "tools/gen_rl_control_fixtures.py (Gymnasium's published equations)",
               "cases": cases}, f)
print("wrote", os.path.normpath(path))
