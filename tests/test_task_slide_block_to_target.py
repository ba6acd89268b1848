"""slide_block_to_target: success means the block rests on the patch, not held over it; the lane stays clear."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from colosseum_lite.robot import Panda
from colosseum_lite.scene import build_static_scene
from colosseum_lite.sim import Pose, Sim
from colosseum_lite.tasks.base import Scales, take_snapshot
from colosseum_lite.tasks.slide_block_to_target import REST_TOL_M, TARGET_HALF_M, SlideBlockToTarget


@pytest.fixture
def world():
    sim = Sim()
    build_static_scene(sim)
    Panda(sim).reset(sim)
    task = SlideBlockToTarget()
    task.build(sim, Scales())
    task.reset(sim, np.random.default_rng(4), "default")
    sim.step(24)
    yield sim, task
    sim.close()


def _block_at(sim: Sim, xy, lift_m: float = 0.0) -> None:
    lo, hi = sim.aabb("block")
    sim.set_pose("block", Pose((float(xy[0]), float(xy[1]), float(hi[2] - lo[2]) / 2 + lift_m)))


def test_success_needs_the_block_resting_on_the_patch_and_not_grasped(world):
    sim, task = world
    names = task.body_names()
    target = np.asarray(sim.pose("target").pos)
    assert not task.success(take_snapshot(sim, names), "default")
    _block_at(sim, target[:2])
    snap = take_snapshot(sim, names)
    assert task.success(snap, "default")
    assert not task.success(replace(snap, grasped=frozenset({"block"})), "default")
    _block_at(sim, target[:2], lift_m=REST_TOL_M + 0.005)
    assert not task.success(take_snapshot(sim, names), "default")  # hovering over the patch
    _block_at(sim, target[:2], lift_m=0.12)
    assert not task.success(take_snapshot(sim, names), "default")


def test_keep_clear_covers_the_patch_and_the_push_lane(world):
    sim, task = world
    circles = task.keep_clear(sim, "default")
    target, block = np.asarray(sim.pose("target").pos[:2]), np.asarray(sim.pose("block").pos[:2])
    corners = [target + np.array([sx, sy]) * TARGET_HALF_M for sx in (-1, 1) for sy in (-1, 1)]
    for point in [*corners, block, (block + target) / 2]:
        assert any(np.hypot(*(point - c[:2])) <= c[2] for c in circles), f"{point} not kept clear"
