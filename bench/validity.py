"""The validity table: is every task solvable, and only by solving it?

Per task: the oracle's success on held-out seeds unperturbed, under each applicable axis alone
(the worst axis is named) and under all axes; and the success of four policies that must fail:
uniform random keyframes, random top-down keyframes (positions near the table, gripper pointing
down at a random yaw, random open/close), random end-effector deltas, and doing nothing. The
shortcuts that used to fool the predicates are tested in tests/tasks/test_shortcuts.py.

Run: ``python bench/validity.py [--oracle-episodes 20] [--baseline-episodes 100] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ORACLE_SEED = 5000  # held out: tests tune on 0-49, evaluations default to 1000 onward
BASELINE_SEED = 7000
DELTA_STEPS = 300  # ee_delta budget of the random and idle policies (20 Hz: 15 s)


def _rates(rows) -> dict[tuple[str, str], tuple[int, int]]:
    out: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        if r.counted:
            out[(r.task, r.set_name)][0] += r.success
            out[(r.task, r.set_name)][1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def main() -> None:
    from colosseum_lite import TASKS
    from colosseum_lite.eval.runner import evaluate
    from colosseum_lite.perturbations import ALL, NO_PERTURBATION

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracle-episodes", type=int, default=20)
    parser.add_argument("--baseline-episodes", type=int, default=100)
    parser.add_argument("--tasks", default="all")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    tasks = sorted(TASKS) if args.tasks == "all" else args.tasks.split(",")
    common = {"tasks": tasks, "workers": args.workers, "obs_mode": "state", "progress": False}
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "validity.sqlite")
        t = time.perf_counter()
        oracle = _rates(evaluate("oracle", sets="all", episodes=args.oracle_episodes, seed=ORACLE_SEED, db=db,
                                 **common).rows)
        t_oracle = time.perf_counter() - t
        baselines = {
            "uniform keyframes": ("random", "ee_keyframe", {}),
            "top-down keyframes": ("top_down_random", "ee_keyframe", {}),
            "random ee_delta": ("random", "ee_delta", {"max_episode_steps": DELTA_STEPS}),
            "do nothing": ("idle", "ee_delta", {"max_episode_steps": DELTA_STEPS}),
        }
        base = {}
        t = time.perf_counter()
        for name, (policy, control, kwargs) in baselines.items():
            rows = evaluate(policy, sets=NO_PERTURBATION, episodes=args.baseline_episodes, seed=BASELINE_SEED,
                            db=db, run=name, control_mode=control, env_kwargs=kwargs, **common).rows
            base[name] = _rates(rows)
        t_base = time.perf_counter() - t
    n_o, n_b = args.oracle_episodes, args.baseline_episodes
    print(f"oracle: {n_o} episodes per (task, set), seeds {ORACLE_SEED}+ ({t_oracle:.0f} s); baselines: {n_b} "
          f"unperturbed episodes each, seeds {BASELINE_SEED}+ ({t_base:.0f} s)\n")
    print("| task | oracle nominal | oracle worst single axis | oracle all | " + " | ".join(baselines) + " |")
    print("|---" * (4 + len(baselines)) + "|")
    for task in tasks:
        singles = {s: v for (t, s), v in oracle.items() if t == task and s not in (NO_PERTURBATION, ALL)}
        worst = min(singles, key=lambda s: singles[s][0] / singles[s][1])
        which = "every axis" if singles[worst][0] == singles[worst][1] else worst
        cells = [_cell(*oracle[(task, NO_PERTURBATION)], floor=0.95),
                 f"{_cell(*singles[worst], floor=0.95)} ({which})", _cell(*oracle[(task, ALL)], floor=0.95)]
        cells += [_cell(*base[name][(task, NO_PERTURBATION)], bound=0.02) for name in baselines]
        print(f"| {task} | " + " | ".join(cells) + " |")


def _cell(ok: int, n: int, bound: float | None = None, floor: float | None = None) -> str:
    """``ok/n (rate)``, flagged at or above ``bound`` (a policy that must fail) or below ``floor``."""
    rate = ok / n if n else float("nan")
    flag = " **>=2%**" if bound is not None and rate >= bound else ""
    flag += " **<95%**" if floor is not None and rate < floor else ""
    return f"{ok}/{n} ({rate:.0%}){flag}"


if __name__ == "__main__":
    main()
