"""Oracle success on every (task, perturbation set): is the oracle still a valid reference?

Sets: no_perturbation, each applicable axis alone, and all. Paired seeds 0..N-1 in every set.
Run: ``python bench/oracle_perturbed.py [--episodes 20] [--tasks a,b] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time

import gymnasium as gym

from colosseum_lite import TASKS, env_id
from colosseum_lite.eval.rollout import run_episode
from colosseum_lite.perturbations import ALL, NO_PERTURBATION, applicable_axes
from colosseum_lite.policies import load_policy


def run_set(job: tuple[str, str, int]) -> tuple[str, str, int, int, float]:
    task, set_name, episodes = job
    env = gym.make(env_id(task), perturbations=None if set_name == NO_PERTURBATION else set_name)
    policy = load_policy("oracle", env)
    t = time.perf_counter()
    ok = sum(run_episode(env, policy, seed).success for seed in range(episodes))
    env.close()
    return task, set_name, ok, episodes, (time.perf_counter() - t) / episodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--tasks", default="all")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    tasks = sorted(TASKS) if args.tasks == "all" else args.tasks.split(",")
    jobs = [(t, s, args.episodes) for t in tasks
            for s in (NO_PERTURBATION, *applicable_axes(TASKS[t]), ALL)]
    with mp.get_context("spawn").Pool(args.workers) as pool:
        rows = pool.map(run_set, jobs, chunksize=1)
    print("| task | set | success | s/episode |\n|---|---|---|---|")
    for task, set_name, ok, n, sec in rows:
        flag = "" if ok / n >= 0.8 else " **<80%**"
        print(f"| {task} | {set_name} | {ok}/{n} ({ok / n:.0%}){flag} | {sec:.2f} |")


if __name__ == "__main__":
    main()
