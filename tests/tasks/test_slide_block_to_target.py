"""slide_block_to_target: success means the block rests on the patch, not held over it; the lane stays clear."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pybullet as p
import pytest

from colosseum_lite.sim import Pose, Sim
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.slide_block_to_target import BLOCK_HALF_M, REST_TOL_M, TARGET_HALF_M


@pytest.fixture
def scene(world):
    w = world("slide_block_to_target", seed=4)
    return w.sim, w.task


def _block_at(sim: Sim, xy, lift_m: float = 0.0, yaw_rad: float = 0.0) -> None:
    sim.set_pose("block", Pose((float(xy[0]), float(xy[1]), BLOCK_HALF_M + lift_m),
                               tuple(p.getQuaternionFromEuler((0.0, 0.0, yaw_rad)))))


def test_success_needs_the_block_resting_on_the_patch_and_not_grasped(scene):
    sim, task = scene
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


def test_the_whole_block_must_lie_on_the_patch(scene):
    sim, task = scene
    names = task.body_names()
    target = np.asarray(sim.pose("target").pos)
    along = np.array([np.cos(sim.pose("target").yaw_rad), np.sin(sim.pose("target").yaw_rad)])
    inside = TARGET_HALF_M - BLOCK_HALF_M  # the centre's margin when the block is square to the patch
    _block_at(sim, target[:2] + (inside - 0.002) * along, yaw_rad=sim.pose("target").yaw_rad)
    assert task.success(take_snapshot(sim, names), "default")
    _block_at(sim, target[:2] + (inside + 0.004) * along, yaw_rad=sim.pose("target").yaw_rad)
    assert not task.success(take_snapshot(sim, names), "default")  # centre inside, an edge over the rim
    _block_at(sim, target[:2] + (inside - 0.002) * along, yaw_rad=sim.pose("target").yaw_rad + np.pi / 4)
    assert not task.success(take_snapshot(sim, names), "default")  # turned 45 degrees, a corner sticks out


def test_keep_clear_covers_the_patch_and_the_push_lane(scene):
    sim, task = scene
    circles = task.keep_clear(sim, "default")
    target, block = np.asarray(sim.pose("target").pos[:2]), np.asarray(sim.pose("block").pos[:2])
    corners = [target + np.array([sx, sy]) * TARGET_HALF_M for sx in (-1, 1) for sy in (-1, 1)]
    for point in [*corners, block, (block + target) / 2]:
        assert any(np.hypot(*(point - c[:2])) <= c[2] for c in circles), f"{point} not kept clear"
