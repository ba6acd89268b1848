"""Digests of the oracle's episodes: does a refactor leave every task behaving exactly as before?

For every task, with no perturbation and with ``all``, on seeds 0-9: the first rgb frame of each
camera (a SHA-256 of the pixels) and the final scene (every task body's pose, joint positions and
AABB, the grasp target, the finger opening, rounded to 1e-6), with the step count and success.
``record`` writes them to a JSON file; ``check`` replays and lists every episode whose digest
differs, with the values that moved (exit 1 if any did).

Run::

    python bench/oracle_digest.py record bench/oracle_digests.json   # before the change
    python bench/oracle_digest.py check bench/oracle_digests.json    # after it
    python bench/oracle_digest.py record bench/oracle_digests.json --tasks straighten_rope
        # a change meant to alter one task: only its digests are replaced, the others kept

Physics is deterministic on one machine and wheel; another CPU or pybullet build may differ in
the last digits, so record and check on the same machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np

from colosseum_lite import TASKS, env_id
from colosseum_lite.perturbations import ALL, NO_PERTURBATION
from colosseum_lite.policies import load_policy
from colosseum_lite.policies.base import resetter

SEEDS = range(10)
SETS = (NO_PERTURBATION, ALL)
DECIMALS = 6


def final_scene(env: gym.Env) -> dict:
    """The scene at the episode's end, rounded so that digests compare values, not float noise."""
    snap = env.unwrapped.snapshot()

    def r(values) -> list[float]:
        return [round(float(v), DECIMALS) for v in np.ravel(values)]

    return {
        "bodies": {name: {"pos": r(b.pos), "quat": r(b.quat), "joints": r(b.joints),
                          "aabb": r([*b.aabb_lo, *b.aabb_hi])} for name, b in sorted(snap.bodies.items())},
        "ee_pos": r(snap.ee_pos), "gripper_width_m": round(float(snap.gripper_width_m), DECIMALS),
        "grasped": sorted(snap.grasped),
    }


def digest_set(job: tuple[str, str]) -> dict[str, dict]:
    """Digests of one (task, set) on every seed, keyed ``task/set/seed``."""
    task, set_name = job
    env = gym.make(env_id(task), obs_mode="rgb", perturbations=None if set_name == NO_PERTURBATION else set_name)
    policy = load_policy("oracle", env)
    out = {}
    for seed in SEEDS:
        obs, info = env.reset(seed=seed)
        frames = {cam: hashlib.sha256(np.ascontiguousarray(img).tobytes()).hexdigest()[:16]
                  for cam, img in sorted(obs.items()) if cam.endswith("_rgb")}
        resetter(policy)(seed, info)
        steps, done, success = 0, bool(info.get("is_success", False)), False
        while not done:
            obs, _, terminated, truncated, info = env.step(policy.act(obs))
            steps += 1
            done = terminated or truncated
        success = bool(info.get("is_success", False))
        out[f"{task}/{set_name}/{seed}"] = {"first_frames": frames, "steps": steps, "success": success,
                                            "final": final_scene(env)}
    env.close()
    return out


def digest_all(workers: int, tasks: list[str]) -> dict[str, dict]:
    jobs = [(task, s) for task in tasks for s in SETS]
    with mp.get_context("spawn").Pool(workers) as pool:
        parts = pool.map(digest_set, jobs, chunksize=1)
    return {k: v for part in parts for k, v in part.items()}


def differences(old: dict, new: dict, path: str = "") -> list[str]:
    """Where two digests differ, as ``path: old -> new`` lines."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [line for k in sorted(set(old) | set(new))
                for line in differences(old.get(k), new.get(k), f"{path}.{k}" if path else k)]
    return [] if old == new else [f"{path}: {old} -> {new}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("record", "check"))
    parser.add_argument("path", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tasks", default="all",
                        help="comma-separated tasks (default all); record then replaces only theirs in PATH")
    args = parser.parse_args()
    tasks = sorted(TASKS) if args.tasks == "all" else args.tasks.split(",")
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown:
        parser.error(f"unknown task(s) {unknown}; choose from {sorted(TASKS)}")
    digests = digest_all(args.workers, tasks)
    stored = {} if args.command == "record" and not args.path.exists() else json.loads(args.path.read_text())
    if args.command == "record":
        kept = {} if args.tasks == "all" else {k: v for k, v in stored.items() if k.split("/")[0] not in tasks}
        args.path.write_text(json.dumps({**kept, **digests}, indent=1, sort_keys=True) + "\n")
        print(f"recorded {len(digests)} oracle episodes of {len(tasks)} task(s) in {args.path}"
              f" ({len(kept)} others kept)")
        return
    recorded = {k: v for k, v in stored.items() if k.split("/")[0] in tasks}
    changed = {k for k in set(recorded) | set(digests) if recorded.get(k) != digests.get(k)}
    for key in sorted(changed):
        print(f"{key} differs:")
        for line in differences(recorded.get(key), digests.get(key))[:12]:
            print(f"  {line}")
    print(f"{len(digests) - len(changed)} of {len(digests)} oracle episodes identical to {args.path}")
    sys.exit(1 if changed else 0)


if __name__ == "__main__":
    main()
