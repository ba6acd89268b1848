"""Success predicates refuse the shortcuts that satisfied their old versions.

Each test drives a scripted policy (``ee_keyframe`` keyframes from privileged state) that
reaches the state the old predicate accepted, checks that it really got there (the old predicate
holds at some step), and asserts the task's success never does; the oracle still succeeds on the
same seeds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import gymnasium as gym
import numpy as np

from colosseum_lite import env_id
from colosseum_lite.eval.rollout import run_episode
from colosseum_lite.policies import load_policy
from colosseum_lite.robot import EE_LINK, Gripper, wrap_grasp_yaw
from colosseum_lite.sim import Sim, rotation_matrix, to_world
from colosseum_lite.tasks.base import Keyframe, Snapshot, top_down
from colosseum_lite.tasks.get_ice_from_fridge import LEVER, PUSHED_RAD
from colosseum_lite.tasks.open_drawer import DRAWER_JOINT, OPEN_THRESHOLD_M, VARIANTS
from colosseum_lite.tasks.predicates import in_oriented_rect
from colosseum_lite.tasks.put_money_in_safe import PutMoneyInSafe
from colosseum_lite.tasks.skills import pitched_quat
from colosseum_lite.tasks.turn_oven_on import JOINT as KNOB_JOINT
from colosseum_lite.tasks.turn_oven_on import ON_RAD, grip_point, gripper_quat, knob_frame

SEEDS = range(3)
TARGET_HALF_M = 0.05  # both target squares (slide_block_to_target, reach_and_drag)


def _on_target(body: str) -> Callable[[Snapshot], bool]:
    """The old predicate of both target tasks: the body's centre inside the target square."""
    def check(snap: Snapshot) -> bool:
        t = snap["target"]
        return in_oriented_rect(snap[body].pos, t.pos, (TARGET_HALF_M, TARGET_HALF_M), t.yaw_rad)
    return check


def _run(env: gym.Env, seed: int, script: Callable[[Sim], Iterator[Keyframe]],
         old_success: Callable[[Snapshot], bool]) -> tuple[bool, bool]:
    """Play a scripted episode; whether the old predicate and the task's success ever held."""
    env.reset(seed=seed)
    sim = env.unwrapped.sim
    old = new = False
    for kf in script(sim):
        _, _, terminated, truncated, info = env.step(kf.action())
        old |= old_success(env.unwrapped.snapshot())
        new |= bool(info["is_success"])
        if terminated or truncated:
            break
    return old, new


def _oracle_successes(task: str, **kwargs) -> list[bool]:
    env = gym.make(env_id(task), **kwargs)
    try:
        policy = load_policy("oracle", env)
        return [run_episode(env, policy, seed).success for seed in SEEDS]
    finally:
        env.close()


def _push_with_fingers(body: str) -> Callable[[Sim], Iterator[Keyframe]]:
    """Push ``body`` onto the target with the closed fingers, never touching anything else."""
    def script(sim: Sim) -> Iterator[Keyframe]:
        target = np.asarray(sim.pose("target").pos[:2])
        for _ in range(4):
            pos = np.asarray(sim.pose(body).pos[:2])
            lo, hi = sim.aabb(body)
            to_go = target - pos
            dist = float(np.linalg.norm(to_go))
            if dist < 0.01:
                return
            d = to_go / dist
            yaw = wrap_grasp_yaw(float(np.arctan2(d[1], d[0])))
            behind = pos - d * (float(np.max(hi[:2] - lo[:2])) / 2 + 0.04)
            yield top_down((*behind, 0.12), yaw, Gripper.CLOSED)
            yield top_down((*behind, 0.015), yaw, Gripper.CLOSED)
            for _ in range(6):
                to_go = target - np.asarray(sim.pose(body).pos[:2])
                dist = float(np.linalg.norm(to_go))
                if dist < 0.01:
                    break
                ee = np.asarray(sim.pose("panda", EE_LINK).pos[:2])
                yield top_down((*(ee + to_go / dist * min(0.05, dist)), 0.015), yaw, Gripper.CLOSED)
            ee = np.asarray(sim.pose("panda", EE_LINK).pos[:2])
            yield top_down((*ee, 0.12), yaw, Gripper.CLOSED)
    return script


def _carry_over_target(sim: Sim) -> Iterator[Keyframe]:
    """Grasp the block, lift it and hold it 12 cm above the target's centre."""
    block = sim.pose("block")
    yaw = wrap_grasp_yaw(block.yaw_rad)
    pos = np.asarray(block.pos)
    target = np.asarray(sim.pose("target").pos)
    yield top_down((*pos[:2], pos[2] + 0.1), yaw, Gripper.OPEN)
    yield top_down(pos, yaw, Gripper.OPEN)
    yield top_down(pos, yaw, Gripper.CLOSED)
    yield top_down((*pos[:2], pos[2] + 0.12), yaw, Gripper.CLOSED)
    # The block's centre over the target's, from where it really sits in the hand.
    offset = np.asarray(sim.pose("panda", EE_LINK).pos) - np.asarray(sim.pose("block").pos)
    for _ in range(4):
        yield top_down((*(target[:2] + offset[:2]), pos[2] + 0.12 + offset[2]), yaw, Gripper.CLOSED)


def _open_every_drawer(task) -> Callable[[Sim], Iterator[Keyframe]]:
    """The oracle's pulls on every drawer, bottom first (a pull lower down would knock the
    drawers above it shut)."""
    def script(sim: Sim) -> Iterator[Keyframe]:
        for v in VARIANTS:
            yield from task.oracle(sim, v)
    return script


def _knock_knob_round(task) -> Callable[[Sim], Iterator[Keyframe]]:
    """Closed fingertips come down beside the leftmost knob's bar and circle its axis, pushing the
    bar round counter-clockwise (as a sweep of the arm does) without ever holding it."""
    def script(sim: Sim) -> Iterator[Keyframe]:
        pose, angle = sim.pose("oven"), sim.joint_position("oven", KNOB_JOINT)
        frame = [knob_frame(np.asarray(pose.pos), pose.quat, task._oven, a) for a in (angle, 0.0, np.pi / 2)]
        (origin, axis, bar), up, left = frame[0], frame[1][2], frame[2][2]
        centre, radius = grip_point(origin, axis, task._oven), 0.85 * task._oven.knob.bar_length_m / 2
        quat = gripper_quat(axis, bar, np.pi)

        def at(phi: float, out_m: float = 0.0) -> tuple[float, float, float]:
            return tuple(centre + out_m * axis + radius * (np.cos(phi) * up + np.sin(phi) * left))

        yield Keyframe(at(angle - 0.8, 0.08), quat, Gripper.CLOSED)
        for k in range(9):
            yield Keyframe(at(angle - 0.8 + 0.35 * k), quat, Gripper.CLOSED)
    return script


def _press_lever_by_hand(task) -> Callable[[Sim], Iterator[Keyframe]]:
    """Closed fingers go into the dispenser recess at the lever's lower end and press it back; the
    cup stays on the table."""
    def script(sim: Sim) -> Iterator[Keyframe]:
        pose, f = sim.pose("fridge"), task._fridge
        heading = np.array([np.cos(pose.yaw_rad), np.sin(pose.yaw_rad), 0.0])
        quat = pitched_quat(pose.yaw_rad, np.deg2rad(60.0))
        low = f.hinge_xyz_m[2] - 0.8 * f.lever_length_m
        start = to_world(pose.pos, pose.quat, (f.front_x_m - 0.06, 0.0, low))
        yield Keyframe(tuple(start), quat, Gripper.CLOSED)
        for k in range(1, 10):
            yield Keyframe(tuple(start + 0.02 * k * heading), quat, Gripper.CLOSED)
    return script


def _let_go_half_inside(task: PutMoneyInSafe, variant: str) -> Callable[[Sim], Iterator[Keyframe]]:
    """The oracle's carry into the compartment and its release, then the hand backs out: the stack
    is left lying half inside, its near end sticking out of the safe (no push)."""
    def script(sim: Sim) -> Iterator[Keyframe]:
        held = False
        for kf in task.oracle(sim, variant):
            yield kf
            held |= kf.gripper is Gripper.CLOSED
            if held and kf.gripper is Gripper.OPEN:
                break
        heading = np.array([np.cos(sim.pose("safe").yaw_rad), np.sin(sim.pose("safe").yaw_rad), 0.0])
        yield Keyframe(tuple(np.asarray(sim.pose("panda", EE_LINK).pos) - 0.12 * heading + (0.0, 0.0, 0.05)),
                       kf.quat, Gripper.OPEN)
    return script


def test_put_money_in_safe_refuses_a_stack_left_half_inside():
    env = gym.make(env_id("put_money_in_safe"), control_mode="ee_keyframe", variant="middle")
    task = env.unwrapped.task

    def centre_inside(snap: Snapshot) -> bool:  # the old predicate: the stack's centre in the compartment
        centre, half = task._safe.interior("middle")
        safe = snap["safe"]
        local = rotation_matrix(safe.quat).T @ (snap["money"].pos - safe.pos)
        return bool(np.all(np.abs(local - centre) <= half)) and "money" not in snap.grasped

    try:
        runs = [_run(env, seed, _let_go_half_inside(task, "middle"), centre_inside) for seed in SEEDS]
    finally:
        env.close()
    assert all(old for old, _ in runs), f"the stack did not get half inside: {runs}"
    assert not any(new for _, new in runs), f"a stack sticking out of the safe counted: {runs}"
    assert all(_oracle_successes("put_money_in_safe", control_mode="ee_keyframe", variant="middle"))


def test_reach_and_drag_refuses_a_cube_pushed_by_the_fingers():
    env = gym.make(env_id("reach_and_drag"), control_mode="ee_keyframe", max_episode_steps=40)
    try:
        runs = [_run(env, seed, _push_with_fingers("cube"), _on_target("cube")) for seed in SEEDS]
        stick_still = env.unwrapped.snapshot()["stick"]
    finally:
        env.close()
    assert all(old for old, _ in runs), f"the finger push missed the target: {runs}"
    assert not any(new for _, new in runs), f"a finger push counted as a drag: {runs}"
    assert stick_still.pos[2] < 0.03  # the stick stayed on the table
    assert all(_oracle_successes("reach_and_drag", control_mode="ee_keyframe"))


def test_slide_block_refuses_a_block_held_above_the_target():
    env = gym.make(env_id("slide_block_to_target"), control_mode="ee_keyframe")
    try:
        runs = [_run(env, seed, _carry_over_target, _on_target("block")) for seed in SEEDS]
        snap = env.unwrapped.snapshot()
    finally:
        env.close()
    assert all(old for old, _ in runs), f"the block was not carried over the target: {runs}"
    assert not any(new for _, new in runs), f"a block held in the air counted: {runs}"
    assert "block" in snap.grasped and snap["block"].aabb_lo[2] > 0.08
    assert all(_oracle_successes("slide_block_to_target", control_mode="ee_keyframe"))


def test_open_drawer_refuses_every_drawer_open():
    env = gym.make(env_id("open_drawer"), control_mode="ee_keyframe", variant="top", max_episode_steps=120)
    task = env.unwrapped.task

    def top_open(snap: Snapshot) -> bool:
        return snap["cabinet"].joint(DRAWER_JOINT["top"]) > OPEN_THRESHOLD_M

    try:
        runs, final = [], []
        for seed in SEEDS:
            runs.append(_run(env, seed, _open_every_drawer(task), top_open))
            final.append(env.unwrapped.snapshot())
    finally:
        env.close()
    assert all(old for old, _ in runs), f"the top drawer did not open: {runs}"
    assert not any(new for _, new in runs), f"opening every drawer counted: {runs}"
    for seed, snap in zip(SEEDS, final, strict=True):
        cabinet = snap["cabinet"]
        assert all(cabinet.joint(DRAWER_JOINT[v]) > OPEN_THRESHOLD_M for v in VARIANTS), f"seed {seed}: {cabinet}"
        # Success is a pure predicate: with every drawer out, no variant counts as solved.
        assert not any(task.success(snap, v) for v in VARIANTS), f"seed {seed}"
    for variant in VARIANTS:
        assert all(_oracle_successes("open_drawer", control_mode="ee_keyframe", variant=variant)), variant


def test_turn_oven_on_refuses_a_knob_knocked_round_without_a_grasp():
    env = gym.make(env_id("turn_oven_on"), control_mode="ee_keyframe")
    task = env.unwrapped.task
    knocked = (1, 3, 6)  # layouts where the circling fingertips catch the bar (negative layout yaw)
    try:
        runs = [_run(env, seed, _knock_knob_round(task), lambda snap: snap["oven"].joint(KNOB_JOINT) > ON_RAD)
                for seed in knocked]
    finally:
        env.close()
    assert all(old for old, _ in runs), f"the fingertips did not knock the knob past on: {runs}"
    assert not any(new for _, new in runs), f"a knob knocked round counted as turned on: {runs}"
    assert all(_oracle_successes("turn_oven_on", control_mode="ee_keyframe"))


def test_get_ice_refuses_the_lever_pressed_without_the_cup():
    env = gym.make(env_id("get_ice_from_fridge"), control_mode="ee_keyframe")
    task = env.unwrapped.task
    try:
        runs = [_run(env, seed, _press_lever_by_hand(task), lambda snap: snap["fridge"].joint(LEVER) > PUSHED_RAD)
                for seed in SEEDS]
    finally:
        env.close()
    assert all(old for old, _ in runs), f"the fingers did not press the lever back: {runs}"
    assert not any(new for _, new in runs), f"a lever pressed without the cup counted: {runs}"
    assert all(_oracle_successes("get_ice_from_fridge", control_mode="ee_keyframe"))


def _hold_plate_out(env: gym.Env) -> Callable[[Sim], Iterator[Keyframe]]:
    """The oracle's episode up to where it would let the plate go beside the dishwasher: instead the
    hand keeps holding it, 5 cm above where it would have been set down."""
    def script(sim: Sim) -> Iterator[Keyframe]:
        for kf in env.unwrapped.task.oracle(sim, "default"):
            if kf.gripper is Gripper.OPEN and "plate" in env.unwrapped.snapshot().grasped:
                yield Keyframe((kf.pos[0], kf.pos[1], kf.pos[2] + 0.05), kf.quat, Gripper.CLOSED)
                return
            yield kf
    return script


def test_empty_dishwasher_refuses_the_plate_held_outside():
    env = gym.make(env_id("empty_dishwasher"), control_mode="ee_keyframe")
    task = env.unwrapped.task
    try:
        runs = [_run(env, seed, _hold_plate_out(env), task.out) for seed in SEEDS]
    finally:
        env.close()
    assert all(old for old, _ in runs), f"the plate was not taken out: {runs}"
    assert not any(new for _, new in runs), f"a plate held outside counted: {runs}"
    assert all(_oracle_successes("empty_dishwasher", control_mode="ee_keyframe"))


def test_meat_on_grill_refuses_the_other_meat_on_the_grill():
    env = gym.make(env_id("meat_on_grill"), control_mode="ee_keyframe", variant="chicken")
    task = env.unwrapped.task
    try:  # the steak's oracle episode, asked for the chicken
        runs = [_run(env, seed, lambda sim: task.oracle(sim, "steak"), lambda snap: task.success(snap, "steak"))
                for seed in SEEDS]
    finally:
        env.close()
    assert all(old for old, _ in runs), f"the steak did not get onto the grill: {runs}"
    assert not any(new for _, new in runs), f"the steak counted for the chicken: {runs}"
    assert all(_oracle_successes("meat_on_grill", control_mode="ee_keyframe", variant="chicken"))
