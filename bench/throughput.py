"""Throughput of colosseum-lite against raw PyBullet on the same scene, in the same process.

For each task:
- state mode: env.step cost vs the same number of raw ``stepSimulation`` calls on the same
  client (the physical limit of the engine), for ``ee_delta`` (random actions) and
  ``ee_keyframe`` (the oracle's keyframes). Overhead = env time / raw time - 1.
- rgb mode: the cost of one observation image vs one raw ``getCameraImage`` of the same scene,
  camera and light; and the low-poly Panda against the stock meshes.
- reset: median ``env.reset`` time, and how many bodies/URDFs a reset creates (must be 0).

Figures are medians over rounds. Run: ``python bench/throughput.py [--tasks a,b] [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import gymnasium as gym
import numpy as np
import pybullet as pb

from colosseum_lite import TASKS, env_id
from colosseum_lite.policies import load_policy


class MotorLog:
    """Records every motor command the env issues, at the substep it was issued."""

    def __init__(self, env) -> None:
        self.env, self.substeps, self.commands = env, 0, []
        env.sim.step_hooks.append(self._tick)
        drive = env.robot._drive

        def logged_drive(sim) -> None:
            cmd = env.robot.command
            self.commands.append((self.substeps, list(cmd.q), cmd.gripper))
            drive(sim)

        env.robot._drive = logged_drive

    def _tick(self) -> None:
        self.substeps += 1

    def clear(self) -> None:
        self.substeps, self.commands = 0, []


def replay_raw(env, state_id: int, log: MotorLog) -> float:
    """Seconds raw PyBullet takes to replay the logged motor commands and steps from a state.

    This is the same physics (same contacts, same motion) with no env, IK or Python around it.
    """
    from colosseum_lite.robot import ARM_FORCES_NM, ARM_JOINTS, FINGER_JOINTS, FINGER_OPEN_M, GRIP_FORCE_N, Gripper

    cid = env.sim.client._client
    body = env.sim.id("panda")
    env.sim.restore_state(state_id)
    step = pb.stepSimulation
    motor = pb.setJointMotorControlArray
    done = 0
    t = time.perf_counter()
    for at, q, gripper in log.commands:
        while done < at:
            step(physicsClientId=cid)
            done += 1
        motor(body, ARM_JOINTS, pb.POSITION_CONTROL, targetPositions=q, forces=ARM_FORCES_NM,
              physicsClientId=cid)
        w = FINGER_OPEN_M if gripper is Gripper.OPEN else 0.0
        motor(body, FINGER_JOINTS, pb.POSITION_CONTROL, targetPositions=[w, w],
              forces=[GRIP_FORCE_N, GRIP_FORCE_N], physicsClientId=cid)
    while done < log.substeps:
        step(physicsClientId=cid)
        done += 1
    return time.perf_counter() - t


def bench_state_delta(task: str, steps: int) -> dict:
    """Random ee_delta actions, timed against a raw replay of the same motor commands."""
    env = gym.make(env_id(task), control_mode="ee_delta").unwrapped
    actions = np.random.default_rng(0).uniform(-1, 1, (steps, 5)).astype(np.float32)
    env.reset(seed=0)
    state = env.sim.save_state()
    log = MotorLog(env)
    t = time.perf_counter()
    for a in actions:
        env.step(a)
    t_env = time.perf_counter() - t
    t_raw = replay_raw(env, state, log)
    env.close()
    return {"env_steps_per_s": steps / t_env, "overhead": t_env / t_raw - 1}


def episodes(task: str, policy: str, seeds: range, obs_mode: str = "state") -> list[dict]:
    """Run episodes; per episode: keyframes, substeps, frames, wall time and raw replay time."""
    env = gym.make(env_id(task), obs_mode=obs_mode, cameras=("front", "wrist"), image_size=128).unwrapped
    pol = load_policy(policy, env)
    log = MotorLog(env)
    frames = [0]
    render = env.sim.render

    def counted(*a, **k):
        frames[0] += 1
        return render(*a, **k)

    env.sim.render = counted
    out = []
    for seed in seeds:
        obs, info = env.reset(seed=seed)
        pol.reset(seed, info)
        state = env.sim.save_state()
        log.clear()
        frames[0] = 0
        moves, t_step = 0, time.perf_counter()
        for _ in range(env.task.max_episode_steps):
            obs, _, term, trunc, info = env.step(pol.act(obs))
            moves += 1
            if term or trunc:
                break
        wall = time.perf_counter() - t_step
        raw = replay_raw(env, state, log)
        env.sim.remove_state(state)
        out.append({"keyframes": moves, "substeps": log.substeps, "frames": frames[0], "wall_s": wall,
                    "raw_physics_s": raw})
    env.close()
    return out


def bench_state_keyframe(task: str, n: int) -> dict:
    """Oracle episodes, each timed against a raw replay of its motor commands."""
    eps = episodes(task, "oracle", range(n))
    return {"env_steps_per_s": sum(e["keyframes"] for e in eps) / sum(e["wall_s"] for e in eps),
            "overhead": statistics.median(e["wall_s"] / e["raw_physics_s"] for e in eps) - 1}


def bench_rgb(task: str, frames: int, low_poly: bool = True) -> dict:
    env = gym.make(env_id(task), obs_mode="rgb", cameras=("front", "wrist"), image_size=128,
                   low_poly=low_poly).unwrapped
    env.reset(seed=0)
    snap = env.snapshot()
    c = env.sim.client
    L = env.scene.light

    def raw() -> None:  # the same frames straight from the engine, matrices precomputed
        for f in mats:
            c.getCameraImage(128, 128, viewMatrix=f.view_matrix, projectionMatrix=f.projection_matrix,
                             lightDirection=L.light_direction, lightColor=L.light_color,
                             lightDistance=L.light_distance, lightAmbientCoeff=L.ambient,
                             lightDiffuseCoeff=L.diffuse, lightSpecularCoeff=L.specular,
                             shadow=int(L.shadow), renderer=L.renderer)

    mats = [env.camera_frame(cam, 128) for cam in env.cameras]
    obs_s, raw_s = [], []
    for _ in range(frames):  # alternating, so both see the same machine load
        t = time.perf_counter()
        env._observation(snap, env._frames())
        obs_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        raw()
        raw_s.append(time.perf_counter() - t)
    t_obs, t_raw = (statistics.median(x) / len(mats) for x in (obs_s, raw_s))
    env.close()
    return {"ms_per_frame": 1e3 * t_obs, "raw_ms_per_frame": 1e3 * t_raw, "ratio": t_obs / t_raw}


def bench_reset(task: str, resets: int) -> dict:
    env = gym.make(env_id(task)).unwrapped
    env.reset(seed=0)
    created = []
    c = env.sim.client
    originals = {name: getattr(c, name) for name in ("loadURDF", "createMultiBody", "resetSimulation")}
    for name, fn in originals.items():
        setattr(c, name, lambda *a, _n=name, _f=fn, **k: (created.append(_n), _f(*a, **k))[1])
    times = []
    for seed in range(resets):
        t = time.perf_counter()
        env.reset(seed=seed)
        times.append(time.perf_counter() - t)
    for name, fn in originals.items():
        setattr(c, name, fn)
    env.close()
    return {"reset_ms": 1e3 * statistics.median(times), "bodies_created_per_reset": len(created) / resets}


def median_of(rounds: int, fn, *args) -> dict:
    runs = [fn(*args) for _ in range(rounds)]
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="all")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args()
    tasks = sorted(TASKS) if args.tasks == "all" else args.tasks.split(",")
    results = {}
    for task in tasks:
        r = {
            "state_ee_delta": median_of(args.rounds, bench_state_delta, task, 150),
            "state_ee_keyframe": median_of(max(1, args.rounds // 2), bench_state_keyframe, task, 3),
            "rgb_low_poly": median_of(args.rounds, bench_rgb, task, 20, True),
            "rgb_stock_meshes": median_of(max(1, args.rounds // 2), bench_rgb, task, 5, False),
            "reset": median_of(args.rounds, bench_reset, task, 20),
        }
        results[task] = r
        d, k, rgb, rgb_stock, rs = (r[x] for x in ("state_ee_delta", "state_ee_keyframe", "rgb_low_poly",
                                                   "rgb_stock_meshes", "reset"))
        print(f"{task}:")
        print(f"  state ee_delta   : {d['env_steps_per_s']:7.1f} steps/s, overhead vs raw stepping "
              f"{100 * d['overhead']:+.1f}%")
        print(f"  state ee_keyframe: {k['env_steps_per_s']:7.1f} keyframes/s, overhead vs raw stepping "
              f"{100 * k['overhead']:+.1f}%")
        print(f"  rgb 128px        : {rgb['ms_per_frame']:.2f} ms/frame vs raw {rgb['raw_ms_per_frame']:.2f} "
              f"ms -> {rgb['ratio']:.3f}x; stock meshes {rgb_stock['ms_per_frame']:.2f} ms/frame "
              f"({rgb_stock['ms_per_frame'] / rgb['ms_per_frame']:.1f}x low-poly)")
        print(f"  reset            : {rs['reset_ms']:.2f} ms, bodies created per reset "
              f"{rs['bodies_created_per_reset']:.0f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
