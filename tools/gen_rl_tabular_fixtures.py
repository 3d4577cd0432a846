#!/usr/bin/env python3
"""Golden fixtures for @myelin/zoo-rl's tabular half (packages/zoo-rl/fixtures/tabular-*.json).

Independent of the TypeScript under test:
  * transition tables of Gymnasium's FrozenLake-v1 and CliffWalking-v0, rebuilt here from the
    published rules of gymnasium/envs/toy_text/{frozen_lake,cliffwalking}.py (maps, slip to the
    intended and both perpendicular directions with probability 1/3 each, rewards, terminal
    states, the cliff sending the agent back to the start with -100);
  * state values by exact linear algebra with numpy (v = (I - gamma P_pi)^-1 r_pi for a fixed
    policy; for optimal values, policy iteration whose evaluation step is that exact solve), not
    by the iterative sweeps the library uses.

Run: /usr/bin/python3 tools/gen_rl_tabular_fixtures.py
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "packages", "zoo-rl", "fixtures")

MAPS = {
    "4x4": ["SFFF", "FHFH", "FFFH", "HFFG"],
    "8x8": ["SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF", "FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG"],
}


def frozen_lake(name, slippery):
    desc = MAPS[name]
    nrow, ncol = len(desc), len(desc[0])
    # Gymnasium: LEFT 0, DOWN 1, RIGHT 2, UP 3.
    def inc(r, c, a):
        if a == 0:
            c = max(c - 1, 0)
        elif a == 1:
            r = min(r + 1, nrow - 1)
        elif a == 2:
            c = min(c + 1, ncol - 1)
        else:
            r = max(r - 1, 0)
        return r, c

    P = []
    for r in range(nrow):
        for c in range(ncol):
            here = desc[r][c]
            row = []
            for a in range(4):
                if here in "GH":
                    row.append([[1.0, r * ncol + c, 0.0, True]])
                    continue
                dirs = [(a - 1) % 4, a, (a + 1) % 4] if slippery else [a]
                outs = []
                for b in dirs:
                    nr, nc = inc(r, c, b)
                    letter = desc[nr][nc]
                    outs.append([1.0 / len(dirs), nr * ncol + nc, float(letter == "G"), letter in "GH"])
                row.append(outs)
            P.append(row)
    return P


def cliff_walking():
    nrow, ncol = 4, 12
    start = 3 * ncol
    goal = 3 * ncol + ncol - 1
    # Gymnasium: UP 0, RIGHT 1, DOWN 2, LEFT 3.
    delta = [(-1, 0), (0, 1), (1, 0), (0, -1)]
    P = []
    for s in range(nrow * ncol):
        r, c = divmod(s, ncol)
        row = []
        for a in range(4):
            nr = min(max(r + delta[a][0], 0), nrow - 1)
            nc = min(max(c + delta[a][1], 0), ncol - 1)
            ns = nr * ncol + nc
            if nr == 3 and 1 <= nc <= ncol - 2:
                row.append([[1.0, start, -100.0, False]])
            else:
                row.append([[1.0, ns, -1.0, ns == goal]])
        P.append(row)
    return P


def gridworld(layout):
    n = 4 if layout == "4x4" else 5
    delta = [(-1, 0), (0, 1), (1, 0), (0, -1)]
    P = []
    for s in range(n * n):
        r, c = divmod(s, n)
        row = []
        for a in range(4):
            if layout == "4x4" and s in (0, 15):
                row.append([[1.0, s, 0.0, True]])
                continue
            if layout == "5x5" and s == 1:
                row.append([[1.0, 21, 10.0, False]])
                continue
            if layout == "5x5" and s == 3:
                row.append([[1.0, 13, 5.0, False]])
                continue
            nr, nc = r + delta[a][0], c + delta[a][1]
            off = not (0 <= nr < n and 0 <= nc < n)
            ns = s if off else nr * n + nc
            if layout == "4x4":
                row.append([[1.0, ns, -1.0, ns in (0, 15)]])
            else:
                row.append([[1.0, ns, -1.0 if off else 0.0, False]])
        P.append(row)
    return P


def evaluate(P, pi, gamma):
    """Exact v_pi: solve (I - gamma * P_pi) v = r_pi, terminal transitions contributing no future."""
    nS, nA = len(P), len(P[0])
    M = np.zeros((nS, nS))
    b = np.zeros(nS)
    for s in range(nS):
        for a in range(nA):
            for p, ns, r, done in P[s][a]:
                w = pi[s][a] * p
                b[s] += w * r
                if not done:
                    M[s, ns] += w * gamma
    return np.linalg.solve(np.eye(nS) - M, b)


def q_of(P, v, gamma):
    return np.array([[sum(p * (r + (0 if done else gamma * v[ns])) for p, ns, r, done in P[s][a]) for a in range(len(P[0]))] for s in range(len(P))])


def optimal(P, gamma, start_policy):
    """Policy iteration with exact evaluation, from a proper deterministic policy."""
    nS, nA = len(P), len(P[0])
    pi = start_policy
    for _ in range(1000):
        v = evaluate(P, pi, gamma)
        q = q_of(P, v, gamma)
        new = np.zeros((nS, nA))
        for s in range(nS):
            best = int(np.argmax(q[s]))
            cur = int(np.argmax(pi[s]))
            # keep the current action on ties so the loop ends
            new[s, cur if q[s, cur] >= q[s, best] - 1e-12 else best] = 1
        if np.array_equal(new, pi):
            return v, q
        pi = new
    raise RuntimeError("policy iteration did not converge")


def main():
    os.makedirs(OUT, exist_ok=True)
    lake4 = frozen_lake("4x4", True)
    lake8 = frozen_lake("8x8", True)
    cliff = cliff_walking()
    uni = lambda P: np.full((len(P), 4), 0.25)
    # CliffWalking with gamma = 1: start from a proper policy (go up, right along the top, down).
    cliff_pi = np.zeros((48, 4))
    for s in range(48):
        r, c = divmod(s, 12)
        cliff_pi[s, 2 if c == 11 else (0 if r == 3 else 1)] = 1
    cliff_v, cliff_q = optimal(cliff, 1.0, cliff_pi)
    lake4_v, lake4_q = optimal(lake4, 0.99, np.eye(4)[[0] * 16])
    lake8_v, lake8_q = optimal(lake8, 0.99, np.eye(4)[[0] * 64])
    g4 = gridworld("4x4")
    g5 = gridworld("5x5")
    g5_star, _ = optimal(g5, 0.9, np.eye(4)[[0] * 25])
    fixtures = {
        "source": "tools/gen_rl_tabular_fixtures.py (Gymnasium's published toy_text rules; exact numpy solves)",
        "frozenlake_4x4_slippery_P": lake4,
        "frozenlake_4x4_deterministic_P": frozen_lake("4x4", False),
        "frozenlake_8x8_slippery_P": lake8,
        "cliffwalking_P": cliff,
        "cliffwalking_vstar_gamma1": cliff_v.tolist(),
        "frozenlake_4x4_vstar_gamma099": lake4_v.tolist(),
        "frozenlake_8x8_vstar_gamma099": lake8_v.tolist(),
        "gridworld_4x4_random_v_gamma1": evaluate(g4, uni(g4), 1.0).tolist(),
        "gridworld_5x5_random_v_gamma09": evaluate(g5, uni(g5), 0.9).tolist(),
        "gridworld_5x5_vstar_gamma09": g5_star.tolist(),
    }
    with open(os.path.join(OUT, "tabular-dynamics.json"), "w") as f:
        json.dump(fixtures, f)
    print("wrote", os.path.join(OUT, "tabular-dynamics.json"))


if __name__ == "__main__":
    main()
