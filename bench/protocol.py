"""The full protocol's cost, measured against the engine's own limits, in one table.

Measures, on this machine and in this process (medians; ratios within one run):
- physics: the env's cost per substep during oracle episodes against raw PyBullet stepping of
  the minimal scene (Panda + ground + one cube) at the same engine settings;
- keyframes: substeps per keyframe for the oracle and for random keyframes;
- rendering: one 128 px observation image against one raw ``getCameraImage`` of the same scene;
- end to end over the five tasks and every set: the oracle in state mode and the random policy
  in rgb mode (128 px, front + wrist) with 1 and 2 workers; the random episode's wall time
  against (its frames x the raw frame cost) + (a raw replay of its very motor commands);
  ``ee_delta`` env overhead over raw stepping of the same motor commands; peak RSS of a worker;
- the projected time of the full protocol (20 tasks, every set, 25 episodes: 6,175) at the rates
  of 2-worker sweeps over all 20 tasks and every set (fewer episodes per (task, set), so env
  builds weigh more: an upper bound), beside the reference's (THE COLOSSEUM on RLBench: 2-3 days
  on 4 GPUs).

Run: ``python bench/protocol.py [--episodes 10] [--rgb-episodes 2] [--json out.json]``. About 20
minutes on 2 cores. The sweeps start a worker pool and build one env per (task, set), as a real
sweep does: with few episodes per (task, set) that start-up weighs more than in the protocol's 25.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import pybullet as pb
from pybullet_utils import bullet_client

sys.path.insert(0, str(Path(__file__).parent))
from sweep import timed  # noqa: E402
from throughput import bench_rgb, bench_state_delta, episodes  # noqa: E402

from colosseum_lite import TASKS, env_id  # noqa: E402
from colosseum_lite.assets import panda_urdf  # noqa: E402
from colosseum_lite.eval.plan import plan  # noqa: E402
from colosseum_lite.perturbations import ALL, AXES  # noqa: E402
from colosseum_lite.robot import ARM_FORCES_NM, HOME_Q  # noqa: E402
from colosseum_lite.sim import EngineSettings  # noqa: E402

EPISODES = 25
# The protocol's first five tasks: issue targets are stated over them.
FIVE = ("basketball_in_hoop", "close_box", "open_drawer", "reach_and_drag", "slide_block_to_target")
SETS = ["no_perturbation", *AXES, ALL]
REFERENCE = "THE COLOSSEUM (RLBench/CoppeliaSim): 2-3 days on 4 GPUs for one policy"


def swing_us(c, panda: int, substeps: int = 2000) -> float:
    """Microseconds per substep while the arm swings (a joint target every 8 substeps, as the env
    drives it: moving links cost more than resting ones)."""
    targets = [np.add(HOME_Q, 0.4 * np.sin(2 * np.pi * k / 60)) for k in range(substeps // 8)]
    t = time.perf_counter()
    for q in targets:
        c.setJointMotorControlArray(panda, range(7), pb.POSITION_CONTROL, targetPositions=q, forces=ARM_FORCES_NM)
        for _ in range(8):
            c.stepSimulation()
    return 1e6 * (time.perf_counter() - t) / (8 * len(targets))


def raw_substep_us() -> float:
    """Per substep of Panda + ground + one cube at the env's engine settings, the arm swinging."""
    c = bullet_client.BulletClient(pb.DIRECT)
    c.setPhysicsEngineParameter(**EngineSettings().parameters())
    c.setGravity(0, 0, -9.81)
    c.createMultiBody(0, c.createCollisionShape(pb.GEOM_PLANE))
    panda = c.loadURDF(panda_urdf(True), useFixedBase=True, flags=pb.URDF_USE_SELF_COLLISION_EXCLUDE_PARENT)
    c.createMultiBody(0.4, c.createCollisionShape(pb.GEOM_BOX, halfExtents=[0.025] * 3),
                      basePosition=[0.5, 0.0, 0.025])
    for j, v in enumerate(HOME_Q):
        c.resetJointState(panda, j, v)
    c.setJointMotorControlArray(panda, range(7), pb.POSITION_CONTROL, targetPositions=HOME_Q,
                                forces=ARM_FORCES_NM)
    for _ in range(100):
        c.stepSimulation()
    us = swing_us(c, panda)
    c.disconnect()
    return us


def env_substep_us(task: str) -> float:
    """The same swing in a task's full scene (table, walls, objects), after a reset."""
    env = gym.make(env_id(task)).unwrapped
    env.reset(seed=0)
    us = swing_us(env.sim.client, env.sim.id("panda"))
    env.close()
    return us


def _rss_child(queue) -> None:
    for task in sorted(TASKS):
        episodes(task, "random", range(2), "rgb")
    queue.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def worker_rss_mb() -> float:
    """Peak RSS (MB) of a fresh process that ran random rgb episodes of every task."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=_rss_child, args=(q,))
    proc.start()
    rss = q.get(timeout=600)
    proc.join()
    return rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=10, help="oracle sweep: episodes per (task, set)")
    parser.add_argument("--rgb-episodes", type=int, default=2, help="random rgb sweep: episodes per (task, set)")
    parser.add_argument("--tasks", default=",".join(FIVE), help="tasks of the per-target figures")
    parser.add_argument("--full-episodes", type=int, default=3,
                        help="oracle sweep of all 20 tasks (for the projection): episodes per (task, set)")
    parser.add_argument("--full-rgb-episodes", type=int, default=1,
                        help="random rgb sweep of all 20 tasks (for the projection): episodes per (task, set)")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args()
    tasks = args.tasks.split(",")
    rows: list[tuple[str, str, str]] = []
    fig: dict[str, float] = {}

    raw_us = statistics.median(raw_substep_us() for _ in range(5))
    scene_us = statistics.median(env_substep_us(t) for t in tasks for _ in range(2))
    fig["scene_physics_ratio"] = scene_us / raw_us
    rows.append(("physics per substep, same swing", f"{scene_us:.0f} us in the task scenes vs {raw_us:.0f} us "
                 "raw minimal scene", f"{fig['scene_physics_ratio']:.2f}x (target <= 1.3x)"))
    oracle = [e for t in tasks for e in episodes(t, "oracle", range(5))]
    rand = [e for t in tasks for e in episodes(t, "random", range(3))]
    env_us = 1e6 * sum(e["raw_physics_s"] for e in oracle) / sum(e["substeps"] for e in oracle)
    fig["physics_ratio"] = env_us / raw_us
    rows.append(("physics per substep, oracle", f"{env_us:.0f} us in oracle episodes (grasps, contacts)",
                 f"{fig['physics_ratio']:.2f}x the raw swing"))
    for name, eps in (("oracle", oracle), ("random", rand)):
        per = [e["substeps"] / e["keyframes"] for e in eps]
        fig[f"substeps_per_keyframe_{name}"] = statistics.median(per)
        rows.append((f"substeps per keyframe, {name}", f"median {statistics.median(per):.0f}, "
                     f"max {max(per):.0f} (cap 720)", ""))

    rgb = [bench_rgb(t, 10) for t in tasks]
    frame_ms = statistics.median(r["ms_per_frame"] for r in rgb)
    raw_frame_ms = statistics.median(r["raw_ms_per_frame"] for r in rgb)
    fig["frame_ratio"] = frame_ms / raw_frame_ms
    rows.append(("rgb frame, 128 px", f"{frame_ms:.2f} ms vs {raw_frame_ms:.2f} ms raw",
                 f"{fig['frame_ratio']:.2f}x (target <= 1.1x)"))

    rgb_eps = [e for t in tasks for e in episodes(t, "random", range(2), "rgb")]
    limit = [e["frames"] * raw_frame_ms / 1e3 + e["raw_physics_s"] for e in rgb_eps]
    fig["random_rgb_vs_engine"] = statistics.median(
        e["wall_s"] / lim for e, lim in zip(rgb_eps, limit, strict=True))
    rows.append(("random rgb episode vs engine limit", "wall / (frames x raw frame + raw replay of its physics)",
                 f"{fig['random_rgb_vs_engine']:.2f}x (target <= 1.5x)"))

    delta = [bench_state_delta(t, 150) for t in tasks]
    fig["ee_delta_overhead"] = statistics.median(d["overhead"] for d in delta)
    rows.append(("ee_delta env overhead, state", "over raw stepping of the same motor commands",
                 f"{100 * fig['ee_delta_overhead']:+.0f}% (target <= +10%)"))

    fig["worker_rss_mb"] = worker_rss_mb()
    rows.append(("worker peak RSS", "random rgb episodes of every task", f"{fig['worker_rss_mb']:.0f} MB "
                 "(target <= 400 MB)"))

    # The targets are set over the first five tasks and every set; the full protocol's time is
    # projected from a sweep of all twenty tasks and every set with fewer episodes per (task, set).
    every = "all"  # every set: no_perturbation, each applicable axis, all
    full_episodes = len(plan(sorted(TASKS), SETS, EPISODES, 0))
    with tempfile.TemporaryDirectory() as tmp:
        for name, case, target, n, n_full in (
            ("oracle, state", {"policy": "oracle", "obs_mode": "state"}, 25.0, args.episodes,
             args.full_episodes),
            ("random, rgb 128 px", {"policy": "random", "obs_mode": "rgb"}, 3.0, args.rgb_episodes,
             args.full_rgb_episodes),
        ):
            one = timed(1, n, Path(tmp), tasks=",".join(tasks), sets=every, **case)
            two = timed(2, n, Path(tmp), tasks=",".join(tasks), sets=every, **case)
            full = timed(2, n_full, Path(tmp), tasks="all", sets=every, **case)
            key = name.split(",")[0]
            fig[f"{key}_eps_1w"], fig[f"{key}_eps_2w"], fig[f"{key}_eps_2w_20_tasks"] = one, two, full
            rows.append((f"{name}, 2 workers, five tasks", f"{two:.2f} ep/s (target >= {target:g}); "
                         f"1 worker {one:.2f}", f"speedup {two / one:.2f}x (target >= 1.85x)"))
            rows.append((f"  full protocol, {name}", f"{full_episodes} episodes (20 tasks, every set, 25): "
                         f"{full:.2f} ep/s over all 20", f"{full_episodes / full / 60:.0f} min"))
    rows.append(("  for scale", REFERENCE, "2880-4320 min"))

    width = max(len(r[0]) for r in rows)
    mid = max(len(r[1]) for r in rows)
    for a, b, c in rows:
        print(f"{a:<{width}}  {b:<{mid}}  {c}")
    if args.json:
        Path(args.json).write_text(json.dumps(fig, indent=1) + "\n")


if __name__ == "__main__":
    main()
