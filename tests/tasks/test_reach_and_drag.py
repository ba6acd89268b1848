"""reach_and_drag: the stick's shape, success (cube on target, stick held), a clear reset, the heaviest cube."""

from __future__ import annotations

from dataclasses import replace

import gymnasium as gym
import numpy as np
import pytest

from colosseum_lite import env_id
from colosseum_lite.sim import Pose
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.reach_and_drag import STICK, TARGET_HALF_M
from tests.helpers import oracle_episodes


@pytest.mark.parametrize("mo", [0.8, 1.1])
def test_the_stick_spec_at_its_built_scale_is_the_stick_the_engine_has(world, mo):
    sim = world("reach_and_drag", mo=mo).sim
    stick = STICK.scaled(mo)
    (shaft, _), (hook, hook_at) = sim.collision_boxes("stick")  # centres in the centre-of-mass frame
    assert stick.half_width_m == pytest.approx(mo * STICK.half_width_m) == pytest.approx(shaft[1] / 2, abs=1e-12)
    assert stick.half_height_m == pytest.approx(shaft[2] / 2, abs=1e-12)
    assert stick.head_face_com_m == pytest.approx(mo * STICK.head_face_com_m, rel=1e-5)
    assert stick.head_face_com_m == pytest.approx(hook_at[0] - hook[0] / 2, abs=1e-12)
    assert np.sign(hook_at[1]) == stick.head_side == -1.0


def test_success_needs_the_cube_on_the_target_the_stick_held_and_the_hand_off_the_cube(world):
    sim, task, _ = world("reach_and_drag", seed=3)
    names = task.body_names()
    target = sim.pose("target")
    yaw = target.yaw_rad
    along = np.array([np.cos(yaw), np.sin(yaw), 0.0])
    z = sim.pose("cube").pos[2]
    for offset_m, inside in ((0.0, True), (TARGET_HALF_M - 0.005, True), (TARGET_HALF_M + 0.01, False)):
        pos = np.asarray(target.pos) + offset_m * along
        sim.set_pose("cube", Pose((float(pos[0]), float(pos[1]), z)))
        snap = take_snapshot(sim, names)
        assert not task.success(snap, "default")  # the stick lies on the table, not in the hand
        held = replace(snap, grasped=frozenset({"stick"}))
        assert task.success(held, "default") is inside
        assert not task.success(replace(held, touched=frozenset({"stick", "cube"})), "default")


@pytest.mark.parametrize("mo,ro", [(0.8, 1.0), (1.1, 1.0), (1.1, 0.5)])
def test_reset_lays_the_stick_flat_and_clear_of_the_cube(world, mo, ro):
    sim, task, _ = world("reach_and_drag", mo=mo, ro=ro)
    for seed in range(10):
        task.reset(sim, np.random.default_rng(seed), "default")
        sim.step(24)
        gap = min(c[8] for c in sim.client.getClosestPoints(sim.id("stick"), sim.id("cube"), 1.0))
        assert gap > 0.005, f"seed {seed}: stick {gap:.4f} m from the cube"
        for name in ("stick", "cube"):
            roll, pitch, _ = sim.client.getEulerFromQuaternion(sim.pose(name).quat)
            assert abs(roll) < 0.01 and abs(pitch) < 0.01, f"seed {seed}: {name} not flat"
            assert np.linalg.norm(sim.velocity(name)[0]) < 0.01, f"seed {seed}: {name} moving"


def test_oracle_drags_the_heaviest_stickiest_cube_with_the_smallest_stick():
    extremes = {"mo_size": {"range": (0.8, 0.8)}, "object_mass": {"ranges": {"cube": (2.5, 2.5)}},
                "object_friction": {"range": (1.0, 1.0)}}
    env = gym.make(env_id("reach_and_drag"), perturbations=extremes)
    try:
        env.reset(seed=0)
        assert env.unwrapped.sim.dynamics("cube")["mass"] == pytest.approx(2.5)
    finally:
        env.close()
    failed = [r.seed for r in oracle_episodes("reach_and_drag", range(3), perturbations=extremes) if not r.success]
    assert not failed, f"seeds {failed}: cube not dragged onto the target"
