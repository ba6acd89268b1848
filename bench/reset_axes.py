"""Reset time per perturbation axis next to the nominal reset (medians, same process).

Run: ``python bench/reset_axes.py [--tasks a,b] [--resets 30]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import gymnasium as gym

from colosseum_lite import TASKS, env_id
from colosseum_lite.perturbations import ALL, NO_PERTURBATION, applicable_axes


def reset_ms(task: str, set_name: str, resets: int) -> float:
    env = gym.make(env_id(task), perturbations=None if set_name == NO_PERTURBATION else set_name)
    env.reset(seed=0)
    times = []
    for seed in range(1, resets + 1):
        t = time.perf_counter()
        env.reset(seed=seed)
        times.append(time.perf_counter() - t)
    env.close()
    return 1e3 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="all")
    parser.add_argument("--resets", type=int, default=30)
    args = parser.parse_args()
    tasks = sorted(TASKS) if args.tasks == "all" else args.tasks.split(",")
    print("| task | set | reset ms | x nominal |\n|---|---|---|---|")
    for task in tasks:
        base = reset_ms(task, NO_PERTURBATION, args.resets)
        print(f"| {task} | {NO_PERTURBATION} | {base:.2f} | 1.00 |")
        for set_name in (*applicable_axes(TASKS[task]), ALL):
            ms = reset_ms(task, set_name, args.resets)
            print(f"| {task} | {set_name} | {ms:.2f} | {ms / base:.2f} |")


if __name__ == "__main__":
    main()
